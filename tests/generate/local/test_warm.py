"""Eviction on a GPU: pipelines stay resident while free memory allows, least recently used leave first.
Free memory is modelled as a device of `TOTAL` bytes minus what is resident (no GPU here)."""

from __future__ import annotations

from reelforge.generate.local import memory
from reelforge.generate.local.warm import Resident

GIB = 1 << 30
TOTAL = 80 * GIB


def test_least_recently_used_pipelines_leave_when_memory_runs_short(monkeypatch):
    resident = Resident()
    sizes: dict[str, int] = {}
    monkeypatch.setattr(
        memory, "free_bytes", lambda device: TOTAL - sum(sizes[k] for k in resident.keys(device))
    )
    monkeypatch.setattr(memory, "release", lambda device: None)

    def load(key: str, need: int) -> str:
        sizes[key] = need
        with resident.device("cuda"):
            return resident.get("cuda", key, lambda: f"pipe {key}", need)

    assert load("ltx", 20 * GIB) == "pipe ltx"
    load("wan", 30 * GIB)
    assert resident.keys("cuda") == ["ltx", "wan"]  # both fit in 80 GiB
    load("ltx", 20 * GIB)  # a hit: no load, ltx becomes the most recently used
    assert (resident.keys("cuda"), resident.loads) == (["wan", "ltx"], 2)
    load("hunyuan", 45 * GIB)  # 30 GiB free: wan (least recently used) goes, then 60 GiB free is enough
    assert (resident.keys("cuda"), resident.loads) == (["ltx", "hunyuan"], 3)
    load("cogvideox", 70 * GIB)
    assert resident.keys("cuda") == ["cogvideox"]
