"""SSRF guard for URLs users give the server (webhooks): http(s) to public addresses only, unless allowed."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from reelforge.errors import InputError


def check_public_url(url: str, *, allow_private: bool = False, field: str = "callback_url") -> str:
    """The URL if it is http(s) and every address its host resolves to is public; else InputError."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InputError(f"{field}: not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{field}: only http:// or https:// URLs with a host are accepted")
    if parts.username or parts.password:
        raise InputError(f"{field}: credentials in the URL are not accepted")
    if allow_private:
        return url
    try:
        infos = socket.getaddrinfo(parts.hostname, port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise InputError(f"{field}: the host {parts.hostname!r} does not resolve") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global:
            raise InputError(
                f"{field}: {parts.hostname} is a private or local address ({address}); "
                "set REELFORGE_ALLOW_PRIVATE_URLS=1 to allow it"
            )
    return url
