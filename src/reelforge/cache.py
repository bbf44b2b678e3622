"""Content-addressed stage artifacts.

A stage's artifacts live in `ROOT/STAGE/KEY/`, where KEY hashes the stage name, its version and every
input (files by their content). A finished artifact folder is complete by construction: the stage writes
into a temporary folder that is renamed into place only when it succeeded, so a crash never leaves a
half-written artifact that a later run would mistake for a result.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

_RESULT = "result.json"


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes, remembered per (path, size, mtime) for the life of the process."""
    stat = path.stat()
    memo_key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _memo_lock:
        if memo_key in _digest_memo:
            return _digest_memo[memo_key]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    value = digest.hexdigest()
    with _memo_lock:
        _digest_memo[memo_key] = value
    return value


_digest_memo: dict[tuple[str, int, int], str] = {}
_memo_lock = threading.Lock()


def _canonical(value: Any) -> Any:
    """JSON-ready form of stage inputs in which files stand for their content hash."""
    if isinstance(value, Path):
        return {"file-sha256": file_digest(value)}
    if isinstance(value, BaseModel):
        return _canonical(value.model_dump(mode="python"))
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


class StageCache:
    """Runs stages at most once per distinct input, and counts what ran and what was reused."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().resolve()  # stages run ffmpeg in their own folders
        self.ran: Counter[str] = Counter()
        self.reused: Counter[str] = Counter()
        self._lock = threading.Lock()

    def key(self, stage: str, version: int, inputs: dict[str, Any]) -> str:
        payload = json.dumps([stage, version, _canonical(inputs)], sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()[:32]

    def folder(self, stage: str, inputs: dict[str, Any], version: int = 1) -> Path:
        """Where the artifact for these inputs lives (whether or not it exists yet)."""
        return self.root / stage / self.key(stage, version, inputs)

    def exists(self, stage: str, inputs: dict[str, Any], *, version: int = 1) -> bool:
        """Whether `run` would reuse an artifact for these inputs."""
        return (self.folder(stage, inputs, version) / _RESULT).exists()

    def run(
        self,
        stage: str,
        inputs: dict[str, Any],
        produce: Callable[[Path], dict[str, Any]],
        *,
        version: int = 1,
    ) -> tuple[Path, dict[str, Any]]:
        """Return (artifact folder, result) for these inputs, calling `produce(folder)` only if needed.

        `produce` writes its files into the folder it is given and returns a JSON-able result.
        """
        folder = self.folder(stage, inputs, version)
        result_file = folder / _RESULT
        if result_file.exists():
            with self._lock:
                self.reused[stage] += 1
            return folder, json.loads(result_file.read_text())
        folder.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        try:
            result = produce(work)
            (work / _RESULT).write_text(json.dumps(result, indent=1))
            try:
                os.rename(work, folder)
            except OSError:  # another process finished the same artifact first: keep theirs
                if not result_file.exists():
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        with self._lock:
            self.ran[stage] += 1
        return folder, json.loads(result_file.read_text())

    def counts(self) -> dict[str, dict[str, int]]:
        """{stage: {"ran": n, "reused": m}} for this cache object's lifetime."""
        stages = sorted(set(self.ran) | set(self.reused))
        return {s: {"ran": self.ran[s], "reused": self.reused[s]} for s in stages}
