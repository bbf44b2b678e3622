"""Local AI video models run through Hugging Face diffusers: one module per model family.

`ltx`, `cogvideox`, `hunyuan` and `wan` each export `MODELS` (catalogue entries) and a generator class
built on `family.DiffusersGenerator`. The shared parts: `loading` (weights from a local folder or the HF
cache, never the network), `memory` (dtype and offloading from free VRAM), `warm` (loaded pipelines kept
resident per device) and `frames` (frames -> H.264 MP4). torch and diffusers are imported lazily, so the
core install can list these models and say what to install.
"""
