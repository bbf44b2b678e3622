"""Tiny random-init pipelines of each local model family, built in the test and saved with save_pretrained.

Nothing is downloaded: tokenizers are trained here on a few words, every network is a few channels
wide. Each builder returns a pipeline object; `save` writes it to a folder the real loader reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

WORDS = [
    "a cat walks on the beach at sunset",
    "waves roll over rocks under a grey sky",
    "city lights at night",
]


def tokenizer(max_length: int = 64) -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(WORDS * 3, trainers.WordLevelTrainer(special_tokens=["<pad>", "</s>", "<unk>"]))
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        model_max_length=max_length,
    )


def t5(d_model: int = 32, umt5: bool = False) -> Any:
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    options = dict(
        vocab_size=1000, d_model=d_model, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
        relative_attention_num_buckets=8,
    )  # fmt: skip
    return UMT5EncoderModel(UMT5Config(**options)) if umt5 else T5EncoderModel(T5Config(**options))


def ltx() -> Any:
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )

    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=4,
        attention_head_dim=8, cross_attention_dim=32, num_layers=2, caption_channels=32,
    )  # fmt: skip
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1), spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1), timestep_conditioning=False, patch_size=1, patch_size_t=1,
        encoder_causal=True, decoder_causal=False,
    )  # fmt: skip
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    return LTXPipeline(
        transformer=transformer, vae=vae, scheduler=FlowMatchEulerDiscreteScheduler(), text_encoder=t5(),
        tokenizer=tokenizer(),
    )  # fmt: skip


def cogvideox(image: bool = False) -> Any:
    """CogVideoX; `image`: the I2V variant (image latents concatenated, learned positions: fixed 32x16)."""
    import diffusers
    import torch
    from diffusers import AutoencoderKLCogVideoX, CogVideoXDDIMScheduler, CogVideoXTransformer3DModel

    torch.manual_seed(0)
    shape = (
        dict(in_channels=8, attention_head_dim=16, sample_width=4, use_rotary_positional_embeddings=True,
             use_learned_positional_embeddings=True)
        if image
        else dict(in_channels=4, attention_head_dim=8, sample_width=2)
    )  # fmt: skip
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=4, out_channels=4, time_embed_dim=2, text_embed_dim=32, num_layers=2,
        sample_height=2, sample_frames=9, patch_size=2, temporal_compression_ratio=4, max_text_seq_length=16,
        **shape,
    )  # fmt: skip
    vae = AutoencoderKLCogVideoX(
        in_channels=3, out_channels=3, down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8), latent_channels=4,
        layers_per_block=1, norm_num_groups=2, temporal_compression_ratio=4,
    )  # fmt: skip
    pipeline = diffusers.CogVideoXImageToVideoPipeline if image else diffusers.CogVideoXPipeline
    return pipeline(
        transformer=transformer, vae=vae, scheduler=CogVideoXDDIMScheduler(), text_encoder=t5(),
        tokenizer=tokenizer(16),
    )  # fmt: skip


def wan(image: bool = False) -> Any:
    """Wan 2.1; `image`: the I2V variant (a tiny CLIP image encoder, image latents concatenated)."""
    import diffusers
    import torch
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanTransformer3DModel
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(0)
    vae = AutoencoderKLWan(
        base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]
    )
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=36 if image else 16,
        out_channels=16, text_dim=32, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True,
        qk_norm="rms_norm_across_heads", rope_max_seq_len=32, image_dim=4 if image else None,
    )  # fmt: skip
    parts = dict(
        transformer=transformer, vae=vae, scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        text_encoder=t5(umt5=True), tokenizer=tokenizer(),
    )  # fmt: skip
    if not image:
        return diffusers.WanPipeline(transformer_2=None, **parts)
    encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(hidden_size=4, projection_dim=4, num_hidden_layers=2, num_attention_heads=2,
                         image_size=32, intermediate_size=16, patch_size=1)
    )  # fmt: skip
    return diffusers.WanImageToVideoPipeline(
        image_encoder=encoder, image_processor=CLIPImageProcessor(crop_size=32, size=32), **parts
    )


def hunyuan() -> Any:
    import torch
    from diffusers import (
        AutoencoderKLHunyuanVideo,
        FlowMatchEulerDiscreteScheduler,
        HunyuanVideoPipeline,
        HunyuanVideoTransformer3DModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, LlamaConfig, LlamaModel

    torch.manual_seed(0)
    transformer = HunyuanVideoTransformer3DModel(
        in_channels=4, out_channels=4, num_attention_heads=2, attention_head_dim=10, num_layers=1,
        num_single_layers=1, num_refiner_layers=1, patch_size=1, patch_size_t=1, guidance_embeds=True,
        text_embed_dim=16, pooled_projection_dim=8, rope_axes_dim=(2, 4, 4),
    )  # fmt: skip
    vae = AutoencoderKLHunyuanVideo(
        in_channels=3, out_channels=3, latent_channels=4, down_block_types=("HunyuanVideoDownBlock3D",) * 4,
        up_block_types=("HunyuanVideoUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8), layers_per_block=1,
        act_fn="silu", norm_num_groups=4, scaling_factor=0.476986, spatial_compression_ratio=8,
        temporal_compression_ratio=4, mid_block_add_attention=True,
    )  # fmt: skip
    text = dict(
        bos_token_id=0, eos_token_id=1, pad_token_id=0, vocab_size=1000, intermediate_size=37,
        layer_norm_eps=1e-05, num_attention_heads=4, num_hidden_layers=2, hidden_act="gelu",
    )  # fmt: skip
    return HunyuanVideoPipeline(
        transformer=transformer, vae=vae, scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        text_encoder=LlamaModel(LlamaConfig(hidden_size=16, **text)), tokenizer=tokenizer(512),
        text_encoder_2=CLIPTextModel(CLIPTextConfig(hidden_size=8, projection_dim=32, **text)),
        tokenizer_2=tokenizer(77),
    )  # fmt: skip


BUILDERS = {
    "ltx": ltx,
    "cogvideox": cogvideox,
    "wan": wan,
    "hunyuan": hunyuan,
    "cogvideox-i2v": lambda: cogvideox(image=True),
    "wan-i2v": lambda: wan(image=True),
}


def save(family: str, folder: Path) -> Path:
    """Build the tiny `family` pipeline and save_pretrained it into `folder`."""
    BUILDERS[family]().save_pretrained(str(folder))
    return folder
