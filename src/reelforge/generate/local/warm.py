"""Loaded pipelines stay resident across scenes and jobs in one process, one device at a time.

`RESIDENT` maps a device to its loaded pipelines, least recently used first. Loading another model
on a device evicts the least recently used ones until the new one fits (on a GPU: its weights plus
working memory fit in what would then be free; on the CPU: one model at a time). Every use of a
device goes through its lock, so the renderer's thread pool runs one generation per device at a time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from reelforge.generate.local import memory


class Resident:
    """Pipelines kept loaded, per device, in least-recently-used order."""

    def __init__(self) -> None:
        self._pipes: dict[str, OrderedDict[str, Any]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.loads = 0
        """Pipelines loaded by this process so far (each `load` call counts one)."""

    @contextmanager
    def device(self, device: str) -> Iterator[None]:
        """Hold `device` for one generation (load and run)."""
        with self._guard:
            lock = self._locks.setdefault(device, threading.Lock())
        with lock:
            yield

    def get(self, device: str, key: str, load: Callable[[], Any], need_bytes: int) -> Any:
        """The pipeline resident under `key` on `device`, loading it with `load()` if absent.

        Call inside `device(...)`. Evicts least recently used pipelines until `need_bytes` fit."""
        pipes = self._pipes.setdefault(device, OrderedDict())
        if key in pipes:
            pipes.move_to_end(key)
            return pipes[key]
        while pipes and not _fits(device, need_bytes):
            pipes.popitem(last=False)
            memory.release(device)
        pipe = load()
        self.loads += 1
        pipes[key] = pipe
        return pipe

    def peek(self, device: str, key: str) -> Any:
        """The pipeline resident under `key` on `device`, or None; loads nothing."""
        return self._pipes.get(device, OrderedDict()).get(key)

    def drop(self, device: str, key: str) -> None:
        """Unload `key` from `device` (after an out-of-memory error, before a leaner retry)."""
        self._pipes.get(device, OrderedDict()).pop(key, None)
        memory.release(device)

    def keys(self, device: str) -> list[str]:
        """What is resident on `device`, least recently used first."""
        return list(self._pipes.get(device, {}))


def _fits(device: str, need_bytes: int) -> bool:
    free = memory.free_bytes(device)
    return free is not None and free >= need_bytes


RESIDENT = Resident()
"""The process-wide set of warm pipelines."""
