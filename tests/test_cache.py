"""The content-addressed stage cache: one run per distinct input, files by content, no leftovers."""

from __future__ import annotations

import pytest

from reelforge.cache import StageCache


def test_runs_once_per_distinct_input(tmp_path):
    cache = StageCache(tmp_path / "c")
    calls = []

    def produce(folder):
        calls.append(folder)
        (folder / "out.txt").write_text("x")
        return {"n": len(calls)}

    first, result = cache.run("s", {"a": 1}, produce)
    again, result_again = cache.run("s", {"a": 1}, produce)
    cache.run("s", {"a": 2}, produce)
    assert first == again and result == result_again == {"n": 1} and (first / "out.txt").read_text() == "x"
    assert cache.counts() == {"s": {"ran": 2, "reused": 1}}
    assert cache.exists("s", {"a": 2}) and not cache.exists("s", {"a": 3})


def test_files_count_by_content_not_name(tmp_path):
    cache = StageCache(tmp_path / "c")
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"same")
    b.write_bytes(b"same")
    assert cache.key("s", 1, {"f": a}) == cache.key("s", 1, {"f": b})
    b.write_bytes(b"different")
    assert cache.key("s", 1, {"f": a}) != cache.key("s", 1, {"f": b})
    assert cache.key("s", 1, {"f": a}) != cache.key("s", 2, {"f": a})


def test_a_failed_stage_leaves_no_artifact(tmp_path):
    cache = StageCache(tmp_path / "c")

    def boom(folder):
        (folder / "half.mp4").write_bytes(b"partial")
        raise RuntimeError("encoder died")

    with pytest.raises(RuntimeError):
        cache.run("s", {"a": 1}, boom)
    assert list((tmp_path / "c" / "s").iterdir()) == []
    _, result = cache.run("s", {"a": 1}, lambda folder: {"ok": True})
    assert result == {"ok": True}
