"""Where finished artifacts live: a local folder by default, or S3-compatible object storage by URL.

Both stores answer the same small interface; keys are relative paths like `jobs/<id>/video.mp4`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

from reelforge.config import Settings
from reelforge.errors import InputError

_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")


class Storage(Protocol):
    def put(self, key: str, source: Path) -> None:
        """Store the file at `source` under `key` (replacing what was there)."""

    def get(self, key: str, dest: Path) -> Path:
        """Copy the object to `dest`."""

    def read(self, key: str, start: int = 0, end: int | None = None) -> bytes:
        """Bytes `start`..`end` (inclusive, as in an HTTP Range) of the object."""

    def size(self, key: str) -> int: ...

    def exists(self, key: str) -> bool: ...

    def local_path(self, key: str) -> Path | None:
        """The object as a local file, when the store is a folder (for zero-copy serving)."""

    def url(self, key: str, *, expires: int = 3600, filename: str | None = None) -> str | None:
        """A time-limited download URL (presigned), or None when the store can only be proxied."""

    def delete(self, key: str) -> None: ...


def check_key(key: str) -> str:
    """Refuse keys that could leave the store's root (`..`, absolute paths, odd characters)."""
    if not _KEY.match(key) or any(part in (".", "..") for part in key.split("/")):
        raise InputError(f"invalid storage key {key!r}")
    return key


def open_storage(settings: Settings) -> Storage:
    """The store REELFORGE_STORAGE_URL names: `s3://bucket[/prefix]`, else a folder (DATA/artifacts)."""
    url = settings.storage_url or str(settings.data_dir / "artifacts")
    if url.startswith("s3://"):
        from reelforge.storage.s3 import S3Storage

        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        return S3Storage(bucket, prefix, endpoint_url=settings.s3_endpoint_url)
    from reelforge.storage.local import LocalStorage

    return LocalStorage(Path(url.removeprefix("file://")))
