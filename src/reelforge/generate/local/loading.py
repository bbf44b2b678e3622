"""Find a model's weights on this machine and load its diffusers pipeline from them, never from the network.

Weights are looked for in `REELFORGE_MODELS_DIR/<model id>` (a folder written by `save_pretrained` or
`hf download --local-dir`), then in the Hugging Face cache. Loading always passes `local_files_only`:
missing weights fail at once with the command that downloads them, whether or not the machine is online.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from reelforge.config import settings
from reelforge.errors import ConfigError

INSTALL_HINT = "install the local-model extra: pip install 'reelforge[local]'"

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".gguf")


def missing_packages(extra: tuple[str, ...] = ()) -> list[str]:
    """The packages local models (and `extra` ones) need that are not installed (empty when all are)."""
    names = ("torch", "diffusers", "transformers", *extra)
    return [name for name in names if importlib.util.find_spec(name) is None]


def download_command(repo: str) -> str:
    """The command that puts `repo` into the Hugging Face cache."""
    return f"hf download {repo}"


def needs(model_id: str, repo: str) -> str:
    """What a catalogue entry says the model needs."""
    return f"weights: `{download_command(repo)}` or REELFORGE_MODELS_DIR/{model_id}"


def find_weights(model_id: str, repo: str | None) -> Path:
    """The folder holding `model_id`'s diffusers pipeline (a `model_index.json` at its top).

    ConfigError, at once and without any network access, naming the download command when absent."""
    models_dir = settings().models_dir
    if models_dir is not None and (models_dir / model_id / "model_index.json").is_file():
        return models_dir / model_id
    if repo is not None:
        snapshot = _cached_snapshot(repo)
        if snapshot is not None:
            return snapshot
    where = f"{models_dir / model_id}" if models_dir else f"REELFORGE_MODELS_DIR/{model_id}"
    if repo is None:
        raise ConfigError(f"weights for {model_id!r} not found: save the diffusers pipeline to {where}")
    raise ConfigError(
        f"weights for {model_id!r} ({repo}) are not on this machine: run `{download_command(repo)}` "
        f"(or save the diffusers pipeline to {where})"
    )


def weight_bytes(folder: Path) -> dict[str, int]:
    """Bytes of weight files per pipeline component (subfolder) of a pipeline folder."""
    sizes: dict[str, int] = {}
    for path in folder.rglob("*"):
        if path.suffix in WEIGHT_SUFFIXES and path.is_file():
            component = path.relative_to(folder).parts[0] if path.parent != folder else ""
            sizes[component] = sizes.get(component, 0) + path.stat().st_size
    return sizes


def load_pipeline(pipeline_class: str, folder: Path, dtype: Any) -> Any:
    """`diffusers.<pipeline_class>.from_pretrained(folder)` in `dtype` (one, or per component with a
    "default"), offline; ConfigError if unreadable."""
    import diffusers
    import transformers

    diffusers.utils.logging.disable_progress_bar()  # the CLI and the API report progress themselves
    transformers.utils.logging.disable_progress_bar()
    cls = getattr(diffusers, pipeline_class)
    try:
        return cls.from_pretrained(str(folder), dtype=dtype, local_files_only=True)
    except (OSError, ValueError, KeyError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            f"{folder}: not a loadable {pipeline_class} ({detail}); re-download it or save it again"
        ) from None


def _cached_snapshot(repo: str) -> Path | None:
    """The newest complete snapshot of `repo` in the HF cache, or None (no network is touched)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        path = Path(snapshot_download(repo, local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError):
        return None
    return path if (path / "model_index.json").is_file() else None
