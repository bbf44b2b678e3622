"""The coordinator: chains, fallbacks, the gate between links, one error for a failed chain, measured results.

Every model here is a small test generator registered at runtime that writes a real MP4 with ffmpeg."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from reelforge.cache import StageCache
from reelforge.errors import ClipRejectedError, ConfigError, InputError, ModerationError, ProviderError
from reelforge.generate.base import ClipRequest
from reelforge.generate.catalogue import models
from reelforge.generate.coordinator import Coordinator, default_chain, parse_chains
from tests.conftest import ffprobe, stream
from tests.generate.generators import (
    Failing,
    FromImage,
    Moderated,
    Moving,
    OutOfMemory,
    Slideshow,
    Unavailable,
)

REQUEST = ClipRequest(prompt="a lighthouse at dusk", width=320, height=240, fps=24, num_frames=48, seed=7)


@pytest.fixture(autouse=True)
def offline(monkeypatch) -> None:
    """The real open models in a chain stay unavailable here: no weights, no token, no hub."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    for name in ("HF_TOKEN", "NEURA_AI_SERVER", "SELF_HOSTED_SERVER", "REELFORGE_CHAINS"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def coordinator(tmp_path: Path):
    def make(chains: dict[str, list[str]] | None = None) -> Coordinator:
        return Coordinator(StageCache(tmp_path / "cache"), chains=chains)

    return make


def outcomes(result_or_attempts) -> list[tuple[str, str]]:
    attempts = getattr(result_or_attempts, "attempts", result_or_attempts)
    return [(a.model, a.outcome) for a in attempts]


def test_clip_result_is_measured_not_taken_from_the_generator(register, coordinator) -> None:
    register("t-moving", Moving, cost_per_second=0.05, provider="test-cloud")
    result = coordinator().generate("t-moving", REQUEST)
    info = ffprobe(result.path)
    video = stream(info, "video")
    assert (result.width, result.height) == (video["width"], video["height"]) == (320, 240)
    assert result.frames == int(video["nb_read_frames"]) == 48
    assert result.fps == 24.0 and result.duration == pytest.approx(2.0, abs=0.01)
    assert result.cost == pytest.approx(0.05 * result.duration)
    assert (result.model, result.requested, result.provider, result.seed) == (
        "t-moving",
        "t-moving",
        "test-cloud",
        7,
    )
    assert result.seconds > 0 and result.gate_seconds > 0
    assert result.quality["motion_mean"] > 1.0 and result.quality["frames"] == 48
    thumb = stream(ffprobe(result.thumbnail), "video")
    assert (thumb["codec_name"], thumb["width"], thumb["height"]) == ("mjpeg", 320, 240)
    assert outcomes(result) == [("t-moving", "used")]


def test_unknown_cost_stays_unknown(register, coordinator) -> None:
    register("t-moving", Moving)
    assert coordinator().generate("t-moving", REQUEST).cost is None


def test_open_model_tries_itself_then_its_hosted_twin_then_the_other_open_models(
    register, coordinator
) -> None:
    register("t-open", Failing, category="open")
    register("t-open-hf", Slideshow, category="open")
    register("t-other", Unavailable, category="open")
    register("t-other-hf", Moving, category="open")
    chain = default_chain("t-open")
    assert chain[:2] == ["t-open", "t-open-hf"]
    assert chain.index("t-other") + 1 == chain.index("t-other-hf")
    assert set(chain) == {m for m, entry in models().items() if entry.category == "open"}
    hosted_first = default_chain("t-open-hf")
    assert hosted_first[:2] == ["t-open-hf", "t-open"] and len(set(hosted_first)) == len(hosted_first)

    result = coordinator().generate("t-open", REQUEST)
    assert result.model == "t-other-hf" and result.requested == "t-open"
    tried = [step for step in outcomes(result) if step[0].startswith("t-")]
    assert tried == [
        ("t-open", "failed"),
        ("t-open-hf", "rejected"),
        ("t-other", "skipped"),
        ("t-other-hf", "used"),
    ]
    reasons = {a.model: a.reason for a in result.attempts}
    assert "HTTP 503" in reasons["t-open"]
    assert "slideshow" in reasons["t-open-hf"]
    assert reasons["t-other"] == (
        "not available here: T_FAKE_KEY is not set (needs T_FAKE_KEY=... and T_FAKE_URL=http://host:port)"
    )
    assert [m for m, _ in outcomes(result) if not m.startswith("t-")] == [
        m for m in default_chain("t-open") if not m.startswith("t-")
    ], "the real open models between them were tried (skipped here: no weights) in chain order"


def test_neura_falls_back_to_hunyuan_then_cogvideox_then_ltx(register, coordinator) -> None:
    for model_id, cls in [
        ("neura", Failing),
        ("hunyuanvideo", OutOfMemory),
        ("cogvideox-5b", Unavailable),
        ("ltx-video", Moving),
    ]:
        register(model_id, cls, category="custom" if model_id == "neura" else "open")
    chain = default_chain("neura")
    assert [m for m in chain if not m.endswith("-hf")] == [
        "neura",
        "hunyuanvideo",
        "cogvideox-5b",
        "ltx-video",
    ]
    for model_id in chain:
        if model_id.endswith("-hf"):
            assert chain[chain.index(model_id) - 1] == model_id.removesuffix("-hf"), (
                "local first, then hosted"
            )
    result = coordinator().generate("neura", REQUEST)
    assert result.model == "ltx-video"
    locals_only = [step for step in outcomes(result) if not step[0].endswith("-hf")]
    assert locals_only == [
        ("neura", "failed"),
        ("hunyuanvideo", "failed"),
        ("cogvideox-5b", "skipped"),
        ("ltx-video", "used"),
    ]
    assert "OutOfMemoryError: CUDA out of memory" in result.attempts[1].reason


def test_premium_self_hosted_and_motion_have_no_fallback(register, coordinator) -> None:
    register("t-premium", Moderated, category="premium")
    register("t-open", Moving, category="open")
    assert default_chain("t-premium") == ["t-premium"]
    assert default_chain("motion") == ["motion"]
    if "self-hosted" in models():
        assert default_chain("self-hosted") == ["self-hosted"]
    with pytest.raises(ModerationError) as info:
        coordinator().generate("t-premium", REQUEST)
    assert str(info.value) == (
        "t-premium failed: t-premium: the prompt was refused by content moderation: reword the scene "
        "(t-premium has no fallback)"
    )
    assert list(Moving.calls) == ["t-premium"], "no open model was tried in its place"


def test_one_error_lists_every_attempt_and_what_to_set(register, coordinator) -> None:
    register("t-off", Unavailable)
    register("t-down", Failing)
    register("t-slides", Slideshow)
    chains = {"t-down": ["t-off", "t-down", "t-slides"]}
    with pytest.raises(ProviderError) as info:
        coordinator(chains).generate("t-down", REQUEST)
    message = str(info.value)
    assert message.startswith("every model of the 't-down' chain failed: ")
    assert (
        "t-off skipped: not available here: T_FAKE_KEY is not set (needs T_FAKE_KEY=... and T_FAKE_URL"
        in (message)
    )
    assert "t-down failed: t-down: the server answered HTTP 503" in message
    assert "t-slides rejected: clip.mp4 rejected: slideshow: " in message
    assert message.index("t-off") < message.index("t-down failed") < message.index("t-slides rejected")
    assert "\n" not in message


def test_a_chain_that_can_only_be_rejected_raises_a_rejection(register, coordinator) -> None:
    register("t-slides", Slideshow)
    with pytest.raises(ClipRejectedError, match=r"t-slides rejected: .*slideshow.*has no fallback"):
        coordinator().generate("t-slides", REQUEST)


def test_nothing_runnable_is_a_config_error(register, coordinator) -> None:
    register("t-off", Unavailable)
    with pytest.raises(
        ConfigError, match=r"no model of the 't-off' chain can run here: t-off skipped: .*T_FAKE_KEY"
    ):
        coordinator().generate("t-off", REQUEST)


def test_chains_are_configurable_through_the_environment(register, coordinator, monkeypatch) -> None:
    register("t-down", Failing)
    register("t-moving", Moving)
    monkeypatch.setenv("REELFORGE_CHAINS", '{"t-down": ["t-down", "t-moving"]}')
    chosen = coordinator(None)
    assert chosen.chain("t-down") == ["t-down", "t-moving"]
    assert chosen.chain("t-moving") == ["t-moving"]
    result = chosen.generate("t-down", REQUEST)
    assert outcomes(result) == [("t-down", "failed"), ("t-moving", "used")]


@pytest.mark.parametrize(
    ("setting", "needle"),
    [
        ('{"t-moving": ["t-moving", "sora-9000"]}', "unknown model 'sora-9000' in the chain for 't-moving'"),
        ('{"sora-9000": ["t-moving"]}', "unknown model 'sora-9000' in the chain for 'sora-9000'"),
        ('{"t-moving": []}', "the chain for 't-moving' is empty"),
        ('{"t-moving": ["t-moving", "motion"]}', "motion graphics are never a fallback"),
        ("[1, 2]", "must be a JSON object of model id -> list of model ids"),
        ("{not json", "must be a JSON object"),
    ],
)
def test_bad_chain_settings_are_config_errors(register, setting, needle) -> None:
    register("t-moving", Moving)
    with pytest.raises(ConfigError) as info:
        parse_chains(setting)
    assert needle in str(info.value)
    assert str(info.value).startswith("REELFORGE_CHAINS: ")


def test_unknown_model_id(coordinator) -> None:
    with pytest.raises(ConfigError, match="unknown video model 'sora-9000'"):
        coordinator().check("sora-9000", REQUEST)


def test_a_scene_longer_than_the_model_makes_is_refused_before_generating(register, coordinator) -> None:
    register("t-short", Moving, max_seconds=1.5)
    register("t-long", Moving, max_seconds=60)
    chosen = coordinator()
    with pytest.raises(InputError) as info:
        chosen.check("t-short", REQUEST)
    message = str(info.value)
    assert "the scene needs 2.00 s of video but t-short makes at most 1.5 s per clip" in message
    assert "split the scene into scenes of at most 1.5 s or choose one of" in message
    assert "t-long" in message and "t-short," not in message
    chosen.check("t-short", REQUEST.model_copy(update={"num_frames": 36}))
    assert Moving.calls == {}


def test_a_fallback_too_short_for_the_scene_is_skipped_with_its_reason(register, coordinator) -> None:
    register("t-down", Failing)
    register("t-short", Moving, max_seconds=1.0)
    register("t-moving", Moving)
    result = coordinator({"t-down": ["t-down", "t-short", "t-moving"]}).generate("t-down", REQUEST)
    assert outcomes(result) == [("t-down", "failed"), ("t-short", "skipped"), ("t-moving", "used")]
    assert "makes at most 1 s per clip" in result.attempts[1].reason
    assert "t-short" not in Moving.calls


@pytest.fixture
def red_image(tmp_path: Path) -> Path:
    path = tmp_path / "hero.png"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=#d02020:s=160x120",
            "-frames:v",
            "1",
            str(path),
        ],
        check=True,
    )
    return path


def first_frame_rgb(path: Path) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-frames:v", "1",
         "-vf", "crop=iw/2:ih/2:iw/2:ih/2,scale=1:1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.uint8).astype(int)


def test_an_image_scene_goes_to_the_image_to_video_sibling(register, coordinator, red_image) -> None:
    register("t-text", Moving, image_model="t-i2v")
    register("t-i2v", FromImage, image_to_video=True, text_to_video=False)
    request = REQUEST.model_copy(update={"image": red_image})
    chosen = coordinator()
    assert chosen.links("t-text", request) == [("t-i2v", None)]
    chosen.check("t-text", request)
    result = chosen.generate("t-text", request)
    assert (result.model, result.requested) == ("t-i2v", "t-text")
    assert Moving.calls.get("t-text") is None and Moving.calls["t-i2v"][0].image == red_image
    red, green, blue = first_frame_rgb(result.path)
    assert red > 150 and green < 80 and blue < 80, "the clip starts from the scene's image"


def test_image_to_video_mismatches_are_refused_up_front(register, coordinator, red_image) -> None:
    register("t-text", Moving)
    register("t-i2v", FromImage, image_to_video=True, text_to_video=False)
    chosen = coordinator()
    with pytest.raises(InputError) as info:
        chosen.check("t-text", REQUEST.model_copy(update={"image": red_image}))
    assert "t-text cannot start from a reference image" in str(info.value)
    assert "remove the scene's `image:` or choose one of" in str(info.value) and "t-i2v" in str(info.value)
    with pytest.raises(
        InputError, match="t-i2v is image-to-video only: it needs the scene's reference `image:`"
    ):
        chosen.check("t-i2v", REQUEST)


def test_a_stored_clip_is_reused_whichever_link_made_it(register, coordinator) -> None:
    register("t-down", Failing)
    register("t-moving", Moving)
    chosen = coordinator({"t-down": ["t-down", "t-moving"]})
    first = chosen.generate("t-down", REQUEST)
    second = chosen.generate("t-down", REQUEST)
    assert (second.path, second.model, second.reused) == (first.path, "t-moving", True)
    assert len(Moving.calls["t-moving"]) == 1 and len(Moving.calls["t-down"]) == 1
    assert chosen.cache.counts()["clip-t-moving"] == {"ran": 1, "reused": 1}
    other = chosen.generate("t-down", REQUEST.model_copy(update={"seed": 8}))
    assert other.path != first.path and len(Moving.calls["t-moving"]) == 2


def test_an_image_sibling_without_image_to_video_is_not_followed(register, coordinator, red_image) -> None:
    register("t-a", Moving, image_model="t-b")
    register("t-b", Moving, image_model="t-a")
    with pytest.raises(InputError, match="t-a cannot start from a reference image"):
        coordinator().check("t-a", REQUEST.model_copy(update={"image": red_image}))


def test_what_to_set_is_not_repeated_when_the_reason_already_says_it(register, coordinator) -> None:
    register("t-off", Unavailable, needs="T_FAKE_KEY (a key from the provider's console)")
    register("t-moving", Moving)
    result = coordinator({"t-off": ["t-off", "t-moving"]}).generate("t-off", REQUEST)
    assert result.attempts[0].reason == "not available here: T_FAKE_KEY is not set"
