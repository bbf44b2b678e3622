"""The model catalogue: collected from the generator modules, extended at runtime, listed by the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from reelforge.cli import app
from reelforge.errors import ConfigError
from reelforge.generate import catalogue
from reelforge.generate.catalogue import GENERATOR_MODULES, availability, get_info, listing, models
from tests.generate.generators import Moving, Unavailable

AGREED_IDS = {
    "reelforge.generate.motion": {"motion"},
    "reelforge.generate.server_protocol": {"neura", "self-hosted"},
    "reelforge.generate.local.ltx": {"ltx-video"},
    "reelforge.generate.local.cogvideox": {"cogvideox-2b", "cogvideox-5b", "cogvideox-5b-i2v"},
    "reelforge.generate.local.hunyuan": {"hunyuanvideo"},
    "reelforge.generate.local.wan": {"wan-2.1-t2v-1.3b", "wan-2.1-i2v-14b"},
    "reelforge.generate.hosted.runway": {"runway-gen4.5", "runway-gen4-turbo"},
    "reelforge.generate.hosted.luma": {"luma-ray-2"},
    "reelforge.generate.hosted.veo": {"veo-3.1", "veo-3.1-fast"},
}
"""The model ids agreed for each generator module (a module may define more)."""


def test_every_present_module_contributes_and_absent_ones_are_reported() -> None:
    entries, skipped = models(), catalogue.skipped_modules()
    assert set(skipped) <= set(GENERATOR_MODULES)
    for module, ids in AGREED_IDS.items():
        if module not in skipped:
            assert ids <= set(entries), f"{module} lacks {ids - set(entries)}"
    assert set(AGREED_IDS) <= set(GENERATOR_MODULES)
    motion = entries["motion"]
    assert (motion.category, motion.target) == ("offline", "reelforge.generate.motion:MotionGenerator")
    for module, why in skipped.items():
        assert why, module


def test_unknown_id_names_the_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        get_info("sora-9000")
    message = str(info.value)
    assert "unknown video model 'sora-9000'" in message
    assert "motion" in message and "reelforge models" in message


def test_runtime_registration_and_availability(register) -> None:
    register("t-moving", Moving, cost_per_second=0.05)
    register("t-off", Unavailable)
    assert availability("t-moving").available
    off = availability("t-off")
    assert (off.available, off.why) == (False, "T_FAKE_KEY is not set")
    ids = [entry.info.id for entry in listing()]
    assert ids[0] == "motion" and ids[-2:] == ["t-moving", "t-off"]


def test_a_registered_model_replaces_a_module_one_until_unregistered(register) -> None:
    register("motion", Unavailable)
    assert not availability("motion").available
    catalogue.unregister_generator("motion")
    assert availability("motion").available


def test_a_generator_that_cannot_be_imported_is_unavailable_not_a_crash(register) -> None:
    entry = register("t-broken", Moving)
    catalogue.register_generator(entry.model_copy(update={"target": "tests.generate.nowhere:Gone"}))
    state = availability("t-broken")
    assert not state.available
    assert "cannot load tests.generate.nowhere:Gone" in state.why


def test_models_json_through_the_cli(register) -> None:
    register("t-moving", Moving, cost_per_second=0.05, image_to_video=True)
    register("t-off", Unavailable, category="premium")
    result = CliRunner().invoke(app, ["models", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = {row["id"]: row for row in data["models"]}
    assert rows["t-moving"] | {"chain": None} == {
        **get_info("t-moving").model_dump(), "available": True, "why": "test model", "chain": None,
    }  # fmt: skip
    assert rows["t-moving"]["chain"] == ["t-moving"]
    assert (rows["t-off"]["available"], rows["t-off"]["why"], rows["t-off"]["chain"]) == (
        False,
        "T_FAKE_KEY is not set",
        ["t-off"],
    )
    assert rows["motion"]["available"] is True and rows["motion"]["cost_per_second"] == 0.0
    assert set(data["skipped_modules"]) == set(catalogue.skipped_modules())


def test_models_command_in_a_fresh_process() -> None:
    """The real entry point with the real catalogue; no model server or key set."""
    env = {k: v for k, v in os.environ.items() if k not in ("NEURA_AI_SERVER", "SELF_HOSTED_SERVER")}
    env.update(HF_HUB_OFFLINE="1", COLUMNS="200", NO_COLOR="1")
    proc = subprocess.run(
        [sys.executable, "-m", "reelforge", "models", "--json"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 0, proc.stderr
    rows = {row["id"]: row for row in json.loads(proc.stdout)["models"]}
    assert rows["motion"]["available"] is True
    if "neura" in rows:
        assert rows["neura"]["available"] is False and "NEURA_AI_SERVER" in rows["neura"]["why"]
        assert rows["neura"]["chain"][0] == "neura"
    table = subprocess.run(
        [sys.executable, "-m", "reelforge", "models"], capture_output=True, text=True, env=env
    )
    assert table.returncode == 0
    assert "Motion graphics" in table.stdout and "ready" in table.stdout


def test_models_command_rejects_a_bad_chain_setting(tmp_path) -> None:
    env = {**os.environ, "REELFORGE_CHAINS": '{"motion": ["motion", "sora-9000"]}', "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "reelforge", "models"], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "REELFORGE_CHAINS: unknown model 'sora-9000'" in lines[0]


def test_doctor_reads_the_catalogue(register) -> None:
    from reelforge.doctor import checks

    register("t-off", Unavailable, needs="RUNWAYML_API_SECRET=key_... (a Runway API key)")
    found = {check.name: check for check in checks()}
    assert (found["model t-off"].ok, found["model t-off"].detail) == (False, "T_FAKE_KEY is not set")
    assert found["model motion"].ok
    unlocks = found["RUNWAYML_API_SECRET"].unlocks
    assert "t-off" in unlocks and "planned" not in unlocks
    for module, why in catalogue.skipped_modules().items():
        assert found[f"models in {module}"].detail == why
