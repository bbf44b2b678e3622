"""A test video model: the offline motion model, but a scene whose prompt contains `wait` blocks until the
file GATE_DIR/open exists, and one whose prompt contains `fail` fails. Every call is logged to
GATE_DIR/calls.log, so a test can count generations across processes (even one killed mid-clip)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from reelforge.errors import ProviderError
from reelforge.generate.base import ClipRequest
from reelforge.generate.catalogue import ModelInfo
from reelforge.generate.motion import MODELS, MotionGenerator

INFO = MODELS[0].model_copy(
    update={
        "id": "gated",
        "name": "Gated motion (tests)",
        "target": "tests.jobs.gated:GatedGenerator",
        "cost_per_second": 0.05,
        "provider": "diffusers",
    }
)
"""Priced like a hosted model (USD 0.05 per second of clip), so a job's cost can be checked, and run as a
local GPU model (provider `diffusers`), so a job of it holds a worker's GPU slot through its clips."""


class GatedGenerator:
    id = "gated"

    def __init__(self, info: ModelInfo = INFO) -> None:
        self.info = info

    def available(self) -> tuple[bool, str]:
        return True, ""

    def generate(self, request: ClipRequest, out: Path) -> Path:
        gate = Path(os.environ["GATE_DIR"])
        _log(gate, f"start {request.prompt}")
        if "fail" in request.prompt:
            raise ProviderError("gated: the test model refused this scene")
        while "wait" in request.prompt and not (gate / "open").exists():
            time.sleep(0.05)
        path = MotionGenerator().generate(request, out)
        _log(gate, f"done {request.prompt}")
        return path


def _log(gate: Path, line: str) -> None:
    with (gate / "calls.log").open("a") as handle:
        handle.write(line + "\n")
