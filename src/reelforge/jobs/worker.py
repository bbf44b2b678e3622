"""`reelforge worker`: a process that takes jobs from the queue and runs them with `slots` GPU slots (one job
more than slots at a time: see reelforge.jobs.workflow)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Sequence

from reelforge.config import Settings
from reelforge.jobs import workflow


def run_worker(settings: Settings, *, executor_id: str, slots: int, take_over: Sequence[str] = ()) -> None:
    """Run jobs until SIGTERM/SIGINT. Restart a killed worker with the same `executor_id`: it resumes the jobs
    it had started. `take_over`: ids of dead workers whose started jobs are queued again for any worker."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    workflow.launch(settings, executor_id=executor_id, slots=slots)
    if take_over:
        taken = workflow.take_over(list(take_over))
        print(f"queued again {len(taken)} job(s) of {', '.join(take_over)}", flush=True)
    print(f"worker {executor_id} ready: {slots} slot{'s' if slots > 1 else ''}", flush=True)
    stop.wait()
    workflow.shutdown()
