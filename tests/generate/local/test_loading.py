"""Finding and loading weights: a local folder, the HF cache, and a fast, clear error when they are absent."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from reelforge.errors import ConfigError
from reelforge.generate.base import ClipRequest
from reelforge.generate.local import cogvideox, hunyuan, ltx, wan
from reelforge.generate.local.loading import find_weights, weight_bytes
from tests.generate.local.conftest import tiny_info

ALL_MODELS = [*ltx.MODELS, *cogvideox.MODELS, *hunyuan.MODELS, *wan.MODELS]
REPOS = {
    "ltx-video": "Lightricks/LTX-Video",
    "cogvideox-2b": "THUDM/CogVideoX-2b",
    "cogvideox-5b": "THUDM/CogVideoX-5b",
    "cogvideox-5b-i2v": "THUDM/CogVideoX-5b-I2V",
    "hunyuanvideo": "hunyuanvideo-community/HunyuanVideo",
    "wan-2.1-t2v-1.3b": "Wan-AI/Wan2.1-T2V-1.3B-Diffusers",
    "wan-2.1-i2v-14b": "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers",
}


def test_catalogue_entries_are_the_agreed_models():
    assert {m.id for m in ALL_MODELS} == set(REPOS)
    for info in ALL_MODELS:
        assert (info.category, info.provider) == ("open", "diffusers")
        assert f"hf download {REPOS[info.id]}" in info.needs
        module, _, name = info.target.partition(":")
        cls = getattr(sys.modules[module], name)
        assert cls(info).repo == REPOS[info.id]


@pytest.mark.parametrize("offline", ["1", None])
@pytest.mark.parametrize("info", ALL_MODELS, ids=lambda m: m.id)
def test_missing_weights_fail_fast_with_the_download_command(info, offline, monkeypatch, tmp_path):
    """Online or not, nothing is fetched: the error names the exact command, well within 5 s."""
    if offline is None:
        monkeypatch.delenv("HF_HUB_OFFLINE")
    generator = type_for(info)(info)
    command = f"hf download {REPOS[info.id]}"
    started = time.perf_counter()
    ready, why = generator.available()
    request = ClipRequest(
        prompt="a cat", width=64, height=64, fps=8, num_frames=8, image=image(tmp_path, info)
    )
    with pytest.raises(ConfigError) as error:
        generator.generate(request, tmp_path / "clip.mp4")
    assert time.perf_counter() - started < 5
    assert not ready
    assert f"run `{command}`" in why and f"run `{command}`" in str(error.value)
    assert f"REELFORGE_MODELS_DIR/{info.id}" in str(error.value)
    assert "\n" not in str(error.value)


def test_a_local_folder_wins_over_the_cache_and_sizes_are_per_component(models_dir):
    folder = find_weights("tiny-ltx", "Lightricks/LTX-Video")
    assert folder == models_dir / "tiny-ltx"
    sizes = weight_bytes(folder)
    assert set(sizes) == {"transformer", "vae", "text_encoder"}
    assert all(size > 1000 for size in sizes.values())


def test_an_unreadable_folder_is_a_config_error(tmp_path, monkeypatch):
    folder = tmp_path / "models" / "tiny-ltx"
    folder.mkdir(parents=True)
    (folder / "model_index.json").write_text(
        '{"_class_name": "LTXPipeline", "transformer": ["diffusers", "X"]}'
    )
    monkeypatch.setenv("REELFORGE_MODELS_DIR", str(tmp_path / "models"))
    request = ClipRequest(prompt="a cat", width=32, height=32, fps=8, num_frames=8)
    with pytest.raises(ConfigError, match=r"not a loadable LTXPipeline .*re-download it or save it again"):
        ltx.LTXVideo(tiny_info("ltx")).generate(request, tmp_path / "clip.mp4")


def test_without_torch_the_modules_import_and_say_what_to_install():
    script = (
        "import sys; sys.modules['torch'] = None; sys.modules['diffusers'] = None\n"
        "from reelforge.generate.local import cogvideox, hunyuan, ltx, wan\n"
        "print(ltx.LTXVideo(ltx.MODELS[0]).available()[1])\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert (
        proc.stdout.strip()
        == "torch, diffusers missing: install the local-model extra: pip install 'reelforge[local]'"
    )


def test_importing_the_families_loads_no_heavy_library():
    script = (
        "import sys\n"
        "from reelforge.generate.local import cogvideox, hunyuan, ltx, wan\n"
        "heavy = ('torch', 'diffusers', 'transformers', 'huggingface_hub')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def type_for(info):
    module, _, name = info.target.partition(":")
    return getattr(sys.modules[module], name)


def image(tmp_path, info):
    if not info.image_to_video or info.text_to_video:
        return None
    from PIL import Image

    Image.new("RGB", (8, 8)).save(tmp_path / "still.png")
    return tmp_path / "still.png"


def test_a_bad_setting_is_one_clear_line(monkeypatch, tmp_path):
    monkeypatch.setenv("REELFORGE_OFFLOAD", "lots")
    request = ClipRequest(prompt="a cat", width=32, height=32, fps=8, num_frames=8)
    with pytest.raises(ConfigError) as error:
        ltx.LTXVideo(tiny_info("ltx")).generate(request, tmp_path / "clip.mp4")
    assert str(error.value) == (
        "setting REELFORGE_OFFLOAD: Input should be 'auto', 'none', 'model', 'group' or 'sequential'"
    )


def test_wan_image_to_video_names_its_extra_package():
    script = (
        "import sys; sys.modules['ftfy'] = None\n"
        "from reelforge.generate.local import wan\n"
        "print(wan.WanImage(wan.MODELS[1]).available()[1])\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert (
        proc.stdout.strip() == "ftfy missing: install the local-model extra: pip install 'reelforge[local]'"
    )
