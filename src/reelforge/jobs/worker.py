"""`reelforge worker`: a process that takes jobs from the queue and runs them, `slots` at a time."""

from __future__ import annotations

import signal
import threading

from reelforge.config import Settings
from reelforge.jobs import workflow


def run_worker(settings: Settings, *, executor_id: str, slots: int) -> None:
    """Run jobs until SIGTERM/SIGINT. Restart a killed worker with the same `executor_id`: it resumes the jobs
    it had started."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    workflow.launch(settings, executor_id=executor_id, slots=slots)
    print(f"worker {executor_id} ready: {slots} slot{'s' if slots > 1 else ''}", flush=True)
    stop.wait()
    workflow.shutdown()
