"""How many segments a render encodes at once by default."""

import os

import pytest

from reelforge.pipeline import default_jobs


def machine(monkeypatch: pytest.MonkeyPatch, cores: int, memory: int) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": memory // 4096}
    monkeypatch.setattr(os, "sysconf", lambda name: pages[name])


def test_one_more_encode_than_cores(monkeypatch):
    machine(monkeypatch, cores=2, memory=24 << 30)
    assert default_jobs((1080, 1920)) == 3


def test_as_many_as_fit_in_half_the_memory(monkeypatch):
    """32 cores and 16 GiB rendering 4K: 8 GiB over ~1.2 GB per 2160x3840 encode is 6, not 33."""
    machine(monkeypatch, cores=32, memory=16 << 30)
    assert default_jobs((2160, 3840)) == 6
    assert default_jobs((1080, 1920)) == 27


def test_at_least_one(monkeypatch):
    machine(monkeypatch, cores=8, memory=512 << 20)
    assert default_jobs((2160, 3840)) == 1
