#!/usr/bin/env bash
# Installs the Debian packages reelforge needs, only those missing. Needs root (or sudo).
set -euo pipefail
packages=(ffmpeg espeak-ng libespeak-ng1 fonts-noto-core fonts-noto-cjk fonts-dejavu-core fontconfig postgresql)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing system packages: ${missing[*]}"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
