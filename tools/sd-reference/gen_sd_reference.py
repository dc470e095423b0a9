#!/usr/bin/env python3
"""Independent reference generator for InfoLens' native Stable Diffusion code.

Builds tiny random-weight SD1-style and SD2-style models out of the upstream
Python sources (Stability-AI/stablediffusion `ldm`, openai/CLIP `clip`), runs
them in float64 and writes
  - tiny-sd1.safetensors, tiny-sd2.safetensors      (LDM single-file naming)
  - tiny-sd1-unaligned.safetensors                  (SD1 VAE subset, unpadded header)
  - tiny-sd1-golden.safetensors, tiny-sd2-golden.safetensors (inputs/outputs)
  - refuse-me.ckpt                                  (a tiny pickle, must be refused)
The upstream trees are NOT part of InfoLens: pass their paths on the command
line (see README.md).  Everything is seeded, so two runs give identical bytes.
"""
import sys
sys.dont_write_bytecode = True    # keep __pycache__ out of the source tree

import argparse
import copy
import importlib.util
import json
import math
import os
import types
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))

GENERATOR_VERSION = "1"
SEED = 20240601
CONTEXT_LENGTH = 77
VOCAB = 49408
SOT, EOT = 49406, 49407

# Prompts: the first is the published test vector of SD-NOTES section 3
# (apple/ml-stable-diffusion); the second repeats another table prompt seven
# times (7 x 11 = 77 BPE tokens > 75), so it is truncated to 75 tokens + EOT.
PROMPT_SHORT = "a photo of an astronaut riding a horse on mars"
PROMPT_UNIT = "Apple CoreML developer tools on a Macbook Air are fast"
PROMPT_LONG = " ".join([PROMPT_UNIT] * 7)
PROMPTS = [PROMPT_SHORT, PROMPT_LONG]
# Published ids (SD-NOTES section 3) used to check the tokenizer run here.
KNOWN_IDS = {
    PROMPT_SHORT: [49406, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, 49407],
    PROMPT_UNIT: [49406, 3055, 19622, 5780, 10929, 5771, 525, 320, 20617, 1922, 631, 1953, 49407],
    "a photo of a cat": [49406, 320, 1125, 539, 320, 2368, 49407],
}

TEXT_WIDTH = 16          # text width = UNet context_dim
TEXT_HEADS = 2           # head dim 8
# Sizes are bounded by the 8 MB budget for tests/data/sd (see README.md).
# 32 channels is the smallest width GroupNorm(32, C) allows.  The 64-channel
# level matters: with 32 channels GroupNorm(32) is per-channel, so the
# timestep embedding (a per-channel bias added just before out_layers.0)
# would have NO effect on a UNet made only of 32-channel ResBlocks.
UNET_BASE = dict(image_size=8, in_channels=4, out_channels=4, model_channels=32,
                 num_res_blocks=1, channel_mult=[1, 2], attention_resolutions=[1],
                 use_spatial_transformer=True, transformer_depth=1, context_dim=TEXT_WIDTH,
                 legacy=False, use_checkpoint=False, use_fp16=False)
UNET_CFG = {
    "sd1": dict(UNET_BASE, num_heads=2, use_linear_in_transformer=False),
    "sd2": dict(UNET_BASE, num_head_channels=16, use_linear_in_transformer=True),
}
VAE_DDCONFIG = dict(double_z=True, z_channels=4, resolution=16, in_channels=3, out_ch=3, ch=32,
                    ch_mult=[1, 1], num_res_blocks=1, attn_resolutions=[], dropout=0.0)
VAE_EMBED_DIM = 4
# Storage dtype of all floating-point parameters (two F32 files do not fit
# the 8 MB budget: see README.md).  SD1 is stored like the common fp16
# community files, SD2 as bfloat16.  The DDPM schedule buffers stay F32 in
# both and position_ids is I64, so every checkpoint holds three dtypes.
STORAGE = {"sd1": {"parameters": "F16", "ddpm_buffers": "F32"},
           "sd2": {"parameters": "BF16", "ddpm_buffers": "F32"}}
TEXT_CFG = {
    "sd1": dict(kind="hf-clip", vocab_size=VOCAB, context_length=CONTEXT_LENGTH, width=TEXT_WIDTH,
                heads=TEXT_HEADS, layers=2, mlp_ratio=4, activation="quick_gelu",
                output="last layer, then final_layer_norm (HF last_hidden_state)", pad_id=EOT),
    "sd2": dict(kind="open-clip", vocab_size=VOCAB, context_length=CONTEXT_LENGTH, width=TEXT_WIDTH,
                heads=TEXT_HEADS, layers=3, mlp_ratio=4, activation="gelu (erf)",
                output="penultimate layer (resblocks[:-1]), then ln_final", pad_id=0),
}
SCHEDULE = dict(beta_schedule="linear (sqrt-linspace squared, diffusers 'scaled_linear')",
                linear_start=0.00085, linear_end=0.012, timesteps=1000)
SCALE_FACTOR = 0.18215
TIMESTEPS = [37.0, 611.5]


def load_by_path(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


class Upstream:
    """Imports of the upstream code, with the stubs and float64 patches."""

    def __init__(self, sd_root, clip_root):
        os.environ["ATTN_PRECISION"] = "fp16"   # plain attention branch (no CUDA autocast block)
        sys.path.insert(0, os.path.join(HERE, "stubs"))
        sys.path.insert(0, os.path.abspath(sd_root))
        import torch
        import einops
        import ftfy
        self.stubs = {"einops": einops.__file__, "ftfy": ftfy.__file__}
        from ldm.modules.diffusionmodules import openaimodel, util as dmutil, model as vaemodel
        from ldm.modules import attention
        # ldm/modules/encoders/modules.py imports kornia, transformers and
        # open_clip at module level; none is used by the two functions we call
        # (FrozenOpenCLIPEmbedder.encode_with_transformer / text_transformer_forward).
        fakes = {}
        for name, attrs in {"kornia": [], "open_clip": [],
                            "transformers": ["T5Tokenizer", "T5EncoderModel", "CLIPTokenizer",
                                             "CLIPTextModel"]}.items():
            if name not in sys.modules:
                m = types.ModuleType(name)
                for a in attrs:
                    setattr(m, a, None)
                fakes[name] = sys.modules[name] = m
        from ldm.modules.encoders import modules as encmodules
        for name in fakes:
            del sys.modules[name]
        self.clip_model = load_by_path("openai_clip_model", os.path.join(clip_root, "clip", "model.py"))
        self.clip_tok = load_by_path("openai_clip_simple_tokenizer",
                                     os.path.join(clip_root, "clip", "simple_tokenizer.py"))
        self.openaimodel, self.dmutil, self.vaemodel = openaimodel, dmutil, vaemodel
        self.attention, self.encmodules = attention, encmodules
        self.orig = {
            "timestep_embedding": openaimodel.timestep_embedding,
            "GroupNorm32.forward": dmutil.GroupNorm32.forward,
            "LayerNorm.forward": self.clip_model.LayerNorm.forward,
        }

    def float64_mode(self, on):
        """The upstream code computes three things in float32 whatever the
        model dtype (fp16 safety casts). For the float64 reference they are
        replaced by the same formulas evaluated in the input's dtype."""
        import torch
        import torch.nn as nn
        if on:
            def timestep_embedding(timesteps, dim, max_period=10000, repeat_only=False):
                assert not repeat_only
                half = dim // 2
                freqs = torch.exp(-math.log(max_period) *
                                  torch.arange(start=0, end=half, dtype=torch.float64) / half)
                args = timesteps[:, None].double() * freqs[None]
                emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
                if dim % 2:
                    emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=-1)
                return emb
            self.openaimodel.timestep_embedding = timestep_embedding
            self.dmutil.GroupNorm32.forward = nn.GroupNorm.forward
            self.clip_model.LayerNorm.forward = nn.LayerNorm.forward
        else:
            self.openaimodel.timestep_embedding = self.orig["timestep_embedding"]
            self.dmutil.GroupNorm32.forward = self.orig["GroupNorm32.forward"]
            self.clip_model.LayerNorm.forward = self.orig["LayerNorm.forward"]


# ----------------------------------------------------------------------------
# model construction

def build_text(up, version):
    import torch
    import torch.nn as nn
    cfg = TEXT_CFG[version]
    cm = up.clip_model
    mask = cm.CLIP.build_attention_mask(SimpleNamespace(context_length=CONTEXT_LENGTH))
    saved = cm.QuickGELU
    if version == "sd2":
        cm.QuickGELU = nn.GELU           # open_clip: act_layer = nn.GELU without quick_gelu
    try:
        m = nn.Module()
        m.token_embedding = nn.Embedding(cfg["vocab_size"], cfg["width"])
        m.positional_embedding = nn.Parameter(torch.empty(CONTEXT_LENGTH, cfg["width"]))
        m.transformer = cm.Transformer(cfg["width"], cfg["layers"], cfg["heads"], attn_mask=mask)
        m.transformer.grad_checkpointing = False
        if version == "sd2":
            # open_clip's ResidualAttentionBlock takes the mask as a forward()
            # argument (it is what FrozenOpenCLIPEmbedder passes); openai's keeps
            # it as an attribute.  Same computation: x + attn(ln_1 x, mask); x + mlp(ln_2 x).
            for r in m.transformer.resblocks:
                r.__class__ = _openclip_block_class(cm)
        m.ln_final = cm.LayerNorm(cfg["width"])
        if version == "sd2":
            m.text_projection = nn.Parameter(torch.empty(cfg["width"], cfg["width"]))
            m.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))
        m.register_buffer("attn_mask", mask, persistent=False)
    finally:
        cm.QuickGELU = saved
    return m


_OCB = {}


def _openclip_block_class(cm):
    if cm not in _OCB:
        class OpenClipResidualAttentionBlock(cm.ResidualAttentionBlock):
            def forward(self, x, attn_mask=None):
                self.attn_mask = attn_mask
                return super().forward(x)
        _OCB[cm] = OpenClipResidualAttentionBlock
    return _OCB[cm]


def build_vae(up):
    import torch.nn as nn
    m = nn.Module()
    m.encoder = up.vaemodel.Encoder(**VAE_DDCONFIG)
    m.decoder = up.vaemodel.Decoder(**VAE_DDCONFIG)
    z = VAE_DDCONFIG["z_channels"]
    m.quant_conv = nn.Conv2d(2 * z, 2 * VAE_EMBED_DIM, 1)        # AutoencoderKL.__init__
    m.post_quant_conv = nn.Conv2d(VAE_EMBED_DIM, z, 1)
    return m


def randomize(module, gen):
    """Re-draw every parameter (zero_module() would otherwise hide bugs):
    matrices/convs N(0, 1/fan_in), norm weights 1+N(0,0.1), biases and norm
    biases N(0,0.1), token embedding N(0,1), positional embedding N(0,0.5^2)."""
    import torch
    import torch.nn as nn
    with torch.no_grad():
        for mname, mod in module.named_modules():
            for pname, p in mod.named_parameters(recurse=False):
                def rnd(std):
                    return torch.randn(p.shape, generator=gen, dtype=torch.float64) * std
                if isinstance(mod, (nn.GroupNorm, nn.LayerNorm)):
                    v = (1.0 + rnd(0.1)) if pname == "weight" else rnd(0.1)
                elif pname == "bias" or pname.endswith("_bias"):
                    v = rnd(0.1)
                elif isinstance(mod, nn.Embedding):
                    v = rnd(1.0)
                elif pname == "positional_embedding":
                    v = rnd(0.5)
                elif pname == "logit_scale":
                    v = torch.full(p.shape, math.log(1 / 0.07), dtype=torch.float64)
                elif p.dim() >= 2:
                    v = rnd(1.0 / math.sqrt(p[0].numel()))
                else:
                    raise RuntimeError("no init rule for %s.%s" % (mname, pname))
                p.copy_(v)


def storage_dtype(version, name):
    import torch
    return {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}[STORAGE[version]["parameters"]]


def round_to_storage(version, module):
    """Round every parameter to the dtype it is stored with, so the float64
    reference runs exactly the stored weights."""
    import torch
    with torch.no_grad():
        for n, p in module.named_parameters():
            p.copy_(p.to(storage_dtype(version, n)).double())


# ----------------------------------------------------------------------------
# export in LDM naming

def export_text_sd1(m):
    """openai/CLIP names -> HF CLIPTextModel names (as in the SD1 checkpoints),
    i.e. the inverse of the diffusers conversion script's map."""
    import torch
    sd = {"embeddings.token_embedding.weight": m.token_embedding.weight,
          "embeddings.position_embedding.weight": m.positional_embedding,
          "embeddings.position_ids": torch.arange(CONTEXT_LENGTH, dtype=torch.int64)[None],
          "final_layer_norm.weight": m.ln_final.weight, "final_layer_norm.bias": m.ln_final.bias}
    for i, r in enumerate(m.transformer.resblocks):
        p = "encoder.layers.%d." % i
        for j, qkv in enumerate("qkv"):
            w = r.attn.in_proj_weight.shape[0] // 3
            sd[p + "self_attn.%s_proj.weight" % qkv] = r.attn.in_proj_weight[j * w:(j + 1) * w]
            sd[p + "self_attn.%s_proj.bias" % qkv] = r.attn.in_proj_bias[j * w:(j + 1) * w]
        for src, dst in (("attn.out_proj", "self_attn.out_proj"), ("ln_1", "layer_norm1"),
                         ("ln_2", "layer_norm2"), ("mlp.c_fc", "mlp.fc1"), ("mlp.c_proj", "mlp.fc2")):
            mod = r.get_submodule(src)
            sd[p + dst + ".weight"] = mod.weight
            sd[p + dst + ".bias"] = mod.bias
    return {"cond_stage_model.transformer.text_model." + k: v for k, v in sd.items()}


def export_ckpt(version, unet, vae, text):
    import torch
    sd = {}
    for k, v in unet.state_dict().items():
        sd["model.diffusion_model." + k] = v
    for k, v in vae.state_dict().items():
        sd["first_stage_model." + k] = v
    if version == "sd1":
        sd.update(export_text_sd1(text))
    else:
        for k, v in text.state_dict().items():
            sd["cond_stage_model.model." + k] = v
    out = {}
    for k, v in sd.items():
        v = v.detach()
        if v.is_floating_point():
            v = v.to(storage_dtype(version, k))
        out[k] = v.contiguous().clone()
    out.update(ddpm_buffers())
    return out


def ddpm_buffers():
    """DDPM.register_schedule buffers, as stored in real LDM checkpoints (F32)."""
    import numpy as np
    import torch
    betas = make_betas()
    alphas = 1.0 - betas
    ac = np.cumprod(alphas, axis=0)
    acp = np.append(1.0, ac[:-1])
    post_var = betas * (1.0 - acp) / (1.0 - ac)      # v_posterior = 0
    bufs = {
        "betas": betas, "alphas_cumprod": ac, "alphas_cumprod_prev": acp,
        "sqrt_alphas_cumprod": np.sqrt(ac), "sqrt_one_minus_alphas_cumprod": np.sqrt(1.0 - ac),
        "log_one_minus_alphas_cumprod": np.log(1.0 - ac),
        "sqrt_recip_alphas_cumprod": np.sqrt(1.0 / ac), "sqrt_recipm1_alphas_cumprod": np.sqrt(1.0 / ac - 1),
        "posterior_variance": post_var,
        "posterior_log_variance_clipped": np.log(np.maximum(post_var, 1e-20)),
        "posterior_mean_coef1": betas * np.sqrt(acp) / (1.0 - ac),
        "posterior_mean_coef2": (1.0 - acp) * np.sqrt(alphas) / (1.0 - ac),
    }
    return {k: torch.tensor(v, dtype=torch.float32) for k, v in bufs.items()}


_UP = None


def make_betas():
    return _UP.dmutil.make_beta_schedule("linear", SCHEDULE["timesteps"], linear_start=SCHEDULE["linear_start"],
                                         linear_end=SCHEDULE["linear_end"])


# ----------------------------------------------------------------------------
# forward passes (float64)

def tokenize(up, prompts, pad_id):
    """openai/CLIP clip.tokenize() logic with truncate=True, pad id per version."""
    import torch
    tok = up.clip_tok.SimpleTokenizer()
    assert tok.encoder["<|startoftext|>"] == SOT and tok.encoder["<|endoftext|>"] == EOT
    for text, ids in KNOWN_IDS.items():
        got = [SOT] + tok.encode(text) + [EOT]
        if got != ids:
            raise RuntimeError("tokenizer mismatch for %r: %s" % (text, got))
    out = torch.full((len(prompts), CONTEXT_LENGTH), pad_id, dtype=torch.int64)
    lengths = []
    for i, text in enumerate(prompts):
        ids = [SOT] + tok.encode(text) + [EOT]
        lengths.append(len(ids))
        if len(ids) > CONTEXT_LENGTH:
            ids = ids[:CONTEXT_LENGTH]
            ids[-1] = EOT
        out[i, :len(ids)] = torch.tensor(ids)
    return out, lengths


def text_forward(up, version, text, tokens):
    import torch
    if version == "sd2":
        # the upstream FrozenOpenCLIPEmbedder methods, on a stand-in `self`
        E = up.encmodules.FrozenOpenCLIPEmbedder
        fake = SimpleNamespace(model=text, layer_idx=1)
        fake.text_transformer_forward = lambda x, attn_mask=None: E.text_transformer_forward(fake, x, attn_mask)
        return E.encode_with_transformer(fake, tokens)
    # SD1: HF CLIPTextModel.last_hidden_state == openai CLIP encode_text()
    # up to (and including) ln_final, with the causal mask only.
    x = text.token_embedding(tokens) + text.positional_embedding.to(text.token_embedding.weight.dtype)
    x = x.permute(1, 0, 2)
    x = text.transformer(x)
    x = x.permute(1, 0, 2)
    return text.ln_final(x)


def vae_encode(vae, image):
    # AutoencoderKL.encode: moments = quant_conv(encoder(x)); posterior = DiagonalGaussian(moments)
    return vae.quant_conv(vae.encoder(image))


def vae_decode(vae, z):
    # AutoencoderKL.decode: decoder(post_quant_conv(z))
    return vae.decoder(vae.post_quant_conv(z))


def run_model(up, version, seed_offset, float64=True):
    """Build, randomize and run one tiny model. Returns (ckpt_tensors, golden, models)."""
    import torch
    gen = torch.Generator().manual_seed(SEED + seed_offset)
    torch.manual_seed(SEED + seed_offset)     # nothing should draw from it; belt and braces
    unet = up.openaimodel.UNetModel(**UNET_CFG[version])
    vae = build_vae(up)
    text = build_text(up, version)
    for m in (unet, vae, text):
        m.double().eval()
    unet.dtype = torch.float64            # forward() casts x to self.dtype
    randomize(unet, gen)
    randomize(vae, gen)
    randomize(text, gen)
    for m in (unet, vae, text):
        round_to_storage(version, m)

    tokens, lengths = tokenize(up, PROMPTS, TEXT_CFG[version]["pad_id"])
    x_t = torch.randn((2, 4, 8, 8), generator=gen, dtype=torch.float64).float().double()
    t = torch.tensor(TIMESTEPS, dtype=torch.float64)
    image = (torch.rand((1, 3, 16, 16), generator=gen, dtype=torch.float64) * 2 - 1).float().double()

    up.float64_mode(True)
    with torch.no_grad():
        text_out = text_forward(up, version, text, tokens)
        unet_out = unet(x_t, timesteps=t, context=text_out)
        moments = vae_encode(vae, image)
        mean, logvar = torch.chunk(moments, 2, dim=1)
        decoded = vae_decode(vae, mean)
    ac = torch.tensor(ddpm_buffers()["alphas_cumprod"].numpy())

    golden = {"tokens": tokens, "text_out": text_out, "x_t": x_t, "t": t, "unet_out": unet_out,
              "image": image, "moments": moments, "decoded": decoded, "alphas_cumprod": ac}
    golden = {k: (v.float() if v.is_floating_point() else v).contiguous() for k, v in golden.items()}
    stats = {"token_lengths_before_truncation": lengths,
             "logvar_range": [float(logvar.min()), float(logvar.max())],
             "max_abs": {k: float(v.abs().max()) for k, v in golden.items() if v.is_floating_point()}}

    # Cross-check: the unmodified upstream float32 code path on the same weights.
    up.float64_mode(False)
    up.attention._ATTN_PRECISION = "fp32"   # exercises the torch.autocast(device_type='cuda') branch on CPU
    try:
        u32, v32, t32 = (copy.deepcopy(m).float() for m in (unet, vae, text))
        u32.dtype = torch.float32
        with torch.no_grad():
            to32 = text_forward(up, version, t32, tokens)
            uo32 = u32(x_t.float(), timesteps=t.float(), context=to32)
            # the UNet alone, fed the float64 text output (isolates UNet rounding)
            uo32b = u32(x_t.float(), timesteps=t.float(), context=golden["text_out"])
            mo32 = vae_encode(v32, image.float())
            de32 = vae_decode(v32, torch.chunk(mo32, 2, dim=1)[0])
        f32 = {"text_out": to32, "unet_out": uo32, "unet_out_given_text_out": uo32b,
               "moments": mo32, "decoded": de32}
        stats["float32_upstream_vs_golden"] = {}
        for k, v in f32.items():
            ref = golden["unet_out" if k == "unet_out_given_text_out" else k]
            d = float((v - ref).abs().max())
            stats["float32_upstream_vs_golden"][k] = {
                "max_abs_diff": d, "tolerance": 1e-4 * max(1.0, float(ref.abs().max()))}
    finally:
        up.attention._ATTN_PRECISION = "fp16"

    ckpt = export_ckpt(version, unet, vae, text)
    return ckpt, golden, stats


def config_json(version, up_commits):
    cfg = {
        "version": version, "prediction": "eps", "scale_factor": SCALE_FACTOR,
        "unet": UNET_CFG[version],
        "vae": {"embed_dim": VAE_EMBED_DIM, "ddconfig": VAE_DDCONFIG},
        "text": TEXT_CFG[version], "storage": STORAGE[version],
        "schedule": SCHEDULE,
        "seed": SEED, "generator_version": GENERATOR_VERSION, "sources": up_commits,
        "tolerance": "max|a-b| <= 1e-4 * max(1, max|b|)",
    }
    return json.dumps(cfg, sort_keys=True)


def main():
    global _UP
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stablediffusion", required=True,
                    help="extracted Stability-AI/stablediffusion tree (contains ldm/)")
    ap.add_argument("--clip", required=True, help="extracted openai/CLIP tree (contains clip/)")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "tests", "data", "sd"))
    ap.add_argument("--sd-commit", default="unspecified",
                    help="commit of the stablediffusion tree, recorded in the metadata")
    ap.add_argument("--clip-commit", default="unspecified", help="commit of the CLIP tree, recorded in the metadata")
    ap.add_argument("--stats", default=None, help="also write the run statistics (JSON) here")
    args = ap.parse_args()

    import torch
    import safetensors_io as st
    torch.set_num_threads(1)      # bitwise reproducibility across machines' thread counts
    up = Upstream(args.stablediffusion, args.clip)
    _UP = up
    commits = {"Stability-AI/stablediffusion": args.sd_commit,
               "openai/CLIP": args.clip_commit,
               "torch": torch.__version__}
    os.makedirs(args.out, exist_ok=True)
    all_stats = {"stubs": up.stubs}
    for i, version in enumerate(("sd1", "sd2")):
        ckpt, golden, stats = run_model(up, version, 1000 * (i + 1))
        all_stats[version] = stats
        cfg = config_json(version, commits)
        st.save(os.path.join(args.out, "tiny-%s.safetensors" % version), ckpt,
                {"format": "pt", "infolens_sd_config": cfg})
        st.save(os.path.join(args.out, "tiny-%s-golden.safetensors" % version), golden,
                {"config": cfg, "prompts": json.dumps(PROMPTS),
                 "tokens_before_truncation": json.dumps(stats["token_lengths_before_truncation"]),
                 "float32_upstream_vs_golden": json.dumps(stats["float32_upstream_vs_golden"], sort_keys=True)})
        if version == "sd1":
            write_unaligned(st, os.path.join(args.out, "tiny-sd1-unaligned.safetensors"), ckpt, cfg)
    torch.save({"state_dict": {"x": torch.zeros(1)}}, os.path.join(args.out, "refuse-me.ckpt"))
    if args.stats:
        with open(args.stats, "w") as f:
            json.dump(all_stats, f, indent=1, sort_keys=True)
    print(json.dumps(all_stats, indent=1, sort_keys=True))


def write_unaligned(st, path, ckpt, cfg):
    """The SD1 VAE tensors (F16) plus position_ids (I64) and alphas_cumprod
    (F32), so that all three dtypes sit at unaligned offsets, with the header
    NOT padded; a filler metadata entry is sized so that the byte buffer starts
    at file offset == 3 (mod 8): misaligned for every element size > 1.  (A
    full unaligned copy of tiny-sd1 would not fit the 8 MB budget.)"""
    sub = {k: v for k, v in ckpt.items()
           if k.startswith("first_stage_model.") or k.endswith("embeddings.position_ids")
           or k == "alphas_cumprod"}
    for fill in range(16):
        meta = {"format": "pt", "infolens_sd_config": cfg, "filler": "x" * fill,
                "note": "subset of tiny-sd1.safetensors (VAE, position_ids, alphas_cumprod), unpadded header"}
        st.save(path, sub, meta, align=False)
        _, _, info = st.load(path)
        if info["data_start"] % 8 == 3:
            return
    raise RuntimeError("could not reach an unaligned data start")


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    main()
