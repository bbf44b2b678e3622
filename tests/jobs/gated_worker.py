"""`python -m tests.jobs.gated_worker ARGS`: the `reelforge` command line (`worker`, `serve` ...) with one
more video model, the test model `gated`."""

from __future__ import annotations

from reelforge.cli import app
from reelforge.generate.catalogue import register_generator
from tests.jobs.gated import INFO

if __name__ == "__main__":
    register_generator(INFO)
    app()
