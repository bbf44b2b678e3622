"""Every local family: a tiny pipeline saved to disk, loaded through the real loader, run on the CPU,
written as an MP4 of the request's exact size, rate and frame count, and measured."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image

from reelforge.errors import InputError
from reelforge.generate import quality
from reelforge.generate.base import ClipRequest
from reelforge.generate.local import cogvideox, ltx
from reelforge.generate.local.warm import RESIDENT
from tests.conftest import decoded, ffprobe, stream
from tests.generate.local.conftest import CLASSES, hf_cache, tiny_info


def request(**fields) -> ClipRequest:
    values = {"prompt": "a cat walks on the beach at sunset", "width": 48, "height": 80, "fps": 12,
              "num_frames": 12, "seed": 7, "quality": "low", **fields}  # fmt: skip
    return ClipRequest(**values)


def frames_of(path, size) -> np.ndarray:
    w, h = size
    return np.frombuffer(decoded(path, "null", "rgb24"), np.uint8).reshape(-1, h, w, 3)


@pytest.mark.parametrize("family", list(CLASSES))
def test_family_makes_the_requested_clip(family, models_dir, tmp_path):
    generator = CLASSES[family](tiny_info(family))
    ready, why = generator.available()
    assert ready, why
    assert str(models_dir / f"tiny-{family}") in why
    image = None
    if generator.image_only:  # the I2V checkpoints animate the scene's reference image
        image = tmp_path / "still.png"
        Image.new("RGB", (40, 30), (200, 120, 40)).save(image)

    out = generator.generate(request(image=image), tmp_path / "clip.mp4")

    video = stream(ffprobe(out), "video")
    assert (video["codec_name"], video["pix_fmt"]) == ("h264", "yuv420p")
    assert (video["width"], video["height"], video["r_frame_rate"]) == (48, 80, "12/1")
    assert int(video["nb_read_frames"]) == 12
    report = quality.measure(out)
    assert report.motion_mean > 1.0  # random weights decode to noise that changes every model frame
    assert report.black_fraction == 0


def test_same_seed_same_clip_other_seed_other_clip(models_dir, tmp_path):
    generator = ltx.LTXVideo(tiny_info("ltx"))
    first = frames_of(generator.generate(request(seed=1), tmp_path / "a.mp4"), (48, 80))
    again = frames_of(generator.generate(request(seed=1), tmp_path / "b.mp4"), (48, 80))
    other = frames_of(generator.generate(request(seed=2), tmp_path / "c.mp4"), (48, 80))
    assert np.array_equal(first, again)
    assert np.abs(first.astype(int) - other.astype(int)).mean() > 5


def test_loads_from_the_hugging_face_cache(tiny_dirs, tmp_path, monkeypatch):
    """The real catalogue entry (repo Lightricks/LTX-Video) found in an HF cache laid out on disk."""
    snapshot = hf_cache(tmp_path / "hf-home", "Lightricks/LTX-Video", tiny_dirs["ltx"])
    info = ltx.MODELS[0].model_copy(update={"width": 32, "height": 32})
    generator = ltx.LTXVideo(info)
    assert generator.available() == (True, f"weights at {snapshot}")

    out = generator.generate(request(), tmp_path / "clip.mp4")
    assert int(stream(ffprobe(out), "video")["nb_read_frames"]) == 12
    assert RESIDENT.keys("cpu") == [str(snapshot)]


def test_a_loaded_pipeline_stays_warm(models_dir, tmp_path):
    generator = ltx.LTXVideo(tiny_info("ltx"))
    before = RESIDENT.loads
    generator.generate(request(), tmp_path / "a.mp4")
    pipe = RESIDENT.peek("cpu", str(models_dir / "tiny-ltx")).pipe
    # a second generator object for the same model (another job) reuses the resident pipeline
    ltx.LTXVideo(tiny_info("ltx")).generate(request(seed=3), tmp_path / "b.mp4")
    assert RESIDENT.loads == before + 1
    assert RESIDENT.peek("cpu", str(models_dir / "tiny-ltx")).pipe is pipe


def test_another_model_evicts_the_least_recently_used(models_dir, tmp_path):
    before = RESIDENT.loads
    ltx.LTXVideo(tiny_info("ltx")).generate(request(), tmp_path / "a.mp4")
    cogvideox.CogVideoX(tiny_info("cogvideox")).generate(request(), tmp_path / "b.mp4")
    assert RESIDENT.keys("cpu") == [str(models_dir / "tiny-cogvideox")]  # one model per device on the CPU
    ltx.LTXVideo(tiny_info("ltx")).generate(request(), tmp_path / "c.mp4")
    assert RESIDENT.loads == before + 3


def test_threads_share_one_pipeline_one_at_a_time(models_dir, tmp_path):
    """The renderer calls generators from a pool: calls on one device are serialized and load once."""
    generator = ltx.LTXVideo(tiny_info("ltx"))
    before, errors, running, most = RESIDENT.loads, [], [0], [0]
    original = generator._run

    def counted(*args):
        running[0] += 1
        most[0] = max(most[0], running[0])
        try:
            return original(*args)
        finally:
            running[0] -= 1

    generator._run = counted

    def work(index: int) -> None:
        try:
            generator.generate(request(seed=index), tmp_path / f"{index}.mp4")
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert RESIDENT.loads == before + 1
    assert most[0] == 1
    assert all(int(stream(ffprobe(tmp_path / f"{i}.mp4"), "video")["nb_read_frames"]) == 12 for i in range(3))


def test_image_to_video_starts_from_the_image(models_dir, tmp_path):
    image = tmp_path / "still.png"
    Image.new("RGB", (64, 64), (220, 40, 40)).save(image)
    generator = ltx.LTXVideo(tiny_info("ltx", image_to_video=True))
    text_only = frames_of(generator.generate(request(), tmp_path / "t2v.mp4"), (48, 80))
    from_image = frames_of(generator.generate(request(image=image), tmp_path / "i2v.mp4"), (48, 80))
    assert from_image.shape == text_only.shape == (12, 80, 48, 3)
    assert np.abs(from_image.astype(int) - text_only.astype(int)).mean() > 2  # the image conditioned it
    assert RESIDENT.loads >= 1 and len(RESIDENT.keys("cpu")) == 1  # the I2V pipeline shares the weights


@pytest.mark.parametrize(
    ("family", "fields", "message"),
    [
        ("cogvideox", {"image": "still.png"}, "text-to-video only"),
        ("ltx", {"quality": "extreme"}, "quality 'extreme' unknown"),
        ("ltx", {"image": "missing.png"}, "not a readable image"),
    ],
)
def test_requests_it_cannot_make_are_clear_errors(family, fields, message, models_dir, tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "still.png")
    fields = {k: tmp_path / v if k == "image" else v for k, v in fields.items()}
    generator = CLASSES[family](tiny_info(family))
    with pytest.raises(InputError, match=message):
        generator.generate(request(**fields), tmp_path / "clip.mp4")
    assert not (tmp_path / "clip.mp4").exists()


def test_image_only_model_needs_an_image(models_dir, tmp_path):
    generator = cogvideox.CogVideoXImage(tiny_info("cogvideox-i2v"))
    with pytest.raises(InputError, match="animates a reference image"):
        generator.generate(request(), tmp_path / "clip.mp4")


@pytest.mark.parametrize("family", ["cogvideox-i2v", "wan-i2v"])
def test_image_only_models_follow_the_image(family, models_dir, tmp_path):
    generator = CLASSES[family](tiny_info(family))
    clips = []
    for colour in ("red", "blue"):
        Image.new("RGB", (40, 30), colour).save(tmp_path / f"{colour}.png")
        out = generator.generate(request(image=tmp_path / f"{colour}.png"), tmp_path / f"{colour}.mp4")
        clips.append(frames_of(out, (48, 80)).astype(int))
    assert np.abs(clips[0] - clips[1]).mean() > 1.5  # measured: 5.0 (CogVideoX), 2.9 (Wan)
