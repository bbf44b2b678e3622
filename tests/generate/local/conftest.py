"""Tiny random-init pipelines of every local family, built once per session and loaded through the real
loader; every test here runs offline on the CPU with 2 denoising steps."""

from __future__ import annotations

import shutil
from pathlib import Path

import huggingface_hub.constants
import pytest

pytest.importorskip("torch", reason="local models need the [local] extra (torch, diffusers)")

from reelforge.generate.catalogue import ModelInfo
from reelforge.generate.local import cogvideox, hunyuan, ltx, wan
from reelforge.generate.local.warm import RESIDENT
from tests.generate.local import tiny

CLASSES = {
    "ltx": ltx.LTXVideo,
    "cogvideox": cogvideox.CogVideoX,
    "wan": wan.Wan,
    "hunyuan": hunyuan.HunyuanVideo,
    "cogvideox-i2v": cogvideox.CogVideoXImage,
    "wan-i2v": wan.WanImage,
}
NATIVE = {
    "ltx": (32, 32, 24),
    "cogvideox": (32, 16, 8),
    "wan": (32, 16, 16),
    "hunyuan": (32, 16, 24),
    "cogvideox-i2v": (32, 16, 8),
    "wan-i2v": (32, 16, 16),
}
"""A tiny model's catalogue size and fps: (width, height, fps)."""


@pytest.fixture(scope="session")
def tiny_dirs(tmp_path_factory) -> dict[str, Path]:
    """family -> a folder holding its tiny pipeline, written by save_pretrained."""
    root = tmp_path_factory.mktemp("tiny-pipelines")
    return {family: tiny.save(family, root / family) for family in tiny.BUILDERS}


@pytest.fixture(autouse=True)
def offline_cpu(monkeypatch, tmp_path) -> None:
    """No hub access, an empty HF cache, the CPU, 2 steps; nothing left resident from other tests."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf-home" / "hub"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("REELFORGE_MODELS_DIR", raising=False)
    monkeypatch.delenv("REELFORGE_OFFLOAD", raising=False)
    monkeypatch.setenv("REELFORGE_DEVICE", "cpu")
    monkeypatch.setenv("REELFORGE_STEPS", "2")
    for key in RESIDENT.keys("cpu"):
        RESIDENT.drop("cpu", key)


@pytest.fixture
def models_dir(tmp_path, monkeypatch, tiny_dirs) -> Path:
    """REELFORGE_MODELS_DIR with every tiny pipeline under `tiny-<family>`."""
    folder = tmp_path / "models"
    folder.mkdir()
    for family, source in tiny_dirs.items():
        (folder / f"tiny-{family}").symlink_to(source, target_is_directory=True)
    monkeypatch.setenv("REELFORGE_MODELS_DIR", str(folder))
    return folder


def tiny_info(family: str, *, max_seconds: float = 2.0, model_id: str | None = None, **fields) -> ModelInfo:
    """A catalogue entry for the tiny `family` pipeline (at REELFORGE_MODELS_DIR/tiny-<family>)."""
    width, height, fps = NATIVE[family]
    cls = CLASSES[family]
    return ModelInfo(
        id=model_id or f"tiny-{family}", name=f"tiny {family}", category="open", provider="diffusers",
        target=f"{cls.__module__}:{cls.__name__}", max_seconds=max_seconds, width=width, height=height,
        fps=fps, needs="a tiny test pipeline", **fields,
    )  # fmt: skip


def hf_cache(hf_home: Path, repo: str, source: Path) -> Path:
    """Lay `source` out in the Hugging Face cache under `hf_home` as `repo`'s main snapshot."""
    revision = "0123456789abcdef0123456789abcdef01234567"
    repo_dir = hf_home / "hub" / f"models--{repo.replace('/', '--')}"
    (repo_dir / "refs").mkdir(parents=True)
    (repo_dir / "refs" / "main").write_text(revision)
    shutil.copytree(source, repo_dir / "snapshots" / revision)
    return repo_dir / "snapshots" / revision
