"""Artifacts in a local folder; files are written beside their final name and renamed into place."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from reelforge.errors import InputError
from reelforge.storage import check_key


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise InputError(f"invalid storage key {key!r}")
        return path

    def put(self, key: str, source: Path) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(fd)
        try:
            shutil.copyfile(source, tmp)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def get(self, key: str, dest: Path) -> Path:
        shutil.copyfile(self._existing(key), dest)
        return Path(dest)

    def read(self, key: str, start: int = 0, end: int | None = None) -> bytes:
        with self._existing(key).open("rb") as handle:
            handle.seek(start)
            return handle.read(-1 if end is None else max(0, end - start + 1))

    def size(self, key: str) -> int:
        return self._existing(key).stat().st_size

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def local_path(self, key: str) -> Path | None:
        return self._existing(key)

    def url(self, key: str, *, expires: int = 3600, filename: str | None = None) -> str | None:
        return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def _existing(self, key: str) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise FileNotFoundError(key)
        return path
