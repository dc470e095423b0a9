#!/usr/bin/env python3
"""Second, independent check of the files written by gen_sd_reference.py.

Uses no upstream code: it re-reads every file with safetensors_io.load (which
validates the header, offsets, dtypes and coverage), infers the model
structure from the checkpoint keys alone, and re-implements the text
encoders, UNet and VAE from the description in SD-NOTES (section 2) in plain
float64 torch.nn.functional.  Every golden output must agree to
max|a-b| <= 1e-4 * max(1, max|b|) -- the same rule the C++ tests use; in
practice the agreement is at float32 rounding level.
Exit status 0 when everything passes.
"""
import sys
sys.dont_write_bytecode = True    # keep __pycache__ out of the source tree

import argparse
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import safetensors_io as st  # noqa: E402

SOT, EOT = 49406, 49407
# published ids (SD-NOTES section 3)
ASTRONAUT = [49406, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, 49407]
COREML = [49406, 3055, 19622, 5780, 10929, 5771, 525, 320, 20617, 1922, 631, 1953, 49407]

FAILURES = []
# Deliberate mistakes, switched on one at a time to measure which bugs the
# goldens can detect at the C++ tolerance (see sensitivity()).
VAR = {}


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg)
    if not cond:
        FAILURES.append(msg)


def compare(name, a, b):
    a, b = a.double(), b.double()
    d = float((a - b).abs().max())
    tol = 1e-4 * max(1.0, float(b.abs().max()))
    check(a.shape == b.shape and d <= tol, "%-28s max|a-b| = %.3e  (tolerance %.3e)" % (name, d, tol))
    return d


class W:
    """Checkpoint tensors under a prefix, upcast to float64."""

    def __init__(self, tensors, prefix):
        self.t = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}

    def __call__(self, k):
        v = self.t[k]
        return v.double() if v.is_floating_point() else v

    def has(self, k):
        return k in self.t

    def sub(self, p):
        w = W({}, "")
        w.t = {k[len(p):]: v for k, v in self.t.items() if k.startswith(p)}
        return w

    def indices(self, p):
        """Distinct integers N in keys 'p.N.xxx'."""
        out = set()
        pre = p + "." if p else ""
        for k in self.t:
            if k.startswith(pre):
                head = k[len(pre):].split(".")[0]
                if head.isdigit():
                    out.add(int(head))
        return sorted(out)


# ---------------------------------------------------------------- text encoders

def attention(q, k, v, heads, mask=None):
    b, n, c = q.shape
    d = c // heads
    q = q.reshape(b, n, heads, d).transpose(1, 2)
    k = k.reshape(b, k.shape[1], heads, d).transpose(1, 2)
    v = v.reshape(b, v.shape[1], heads, d).transpose(1, 2)
    s = q @ k.transpose(-1, -2) * d ** -0.5
    if mask is not None:
        s = s + mask
    return (s.softmax(-1) @ v).transpose(1, 2).reshape(b, n, c)


def causal_mask(n):
    return torch.full((n, n), float("-inf"), dtype=torch.float64).triu(1)


def text_sd1(w, tokens, heads):
    """HF CLIPTextModel last_hidden_state: all layers, QuickGELU, final_layer_norm."""
    ln = lambda x, p: F.layer_norm(x, (x.shape[-1],), w(p + ".weight"), w(p + ".bias"), 1e-5)
    lin = lambda x, p: F.linear(x, w(p + ".weight"), w(p + ".bias"))
    x = w("embeddings.token_embedding.weight")[tokens] + w("embeddings.position_embedding.weight")[None]
    for i in w.indices("encoder.layers"):
        p = "encoder.layers.%d." % i
        h = ln(x, p + "layer_norm1")
        a = attention(lin(h, p + "self_attn.q_proj"), lin(h, p + "self_attn.k_proj"),
                      lin(h, p + "self_attn.v_proj"), heads, causal_mask(x.shape[1]))
        x = x + lin(a, p + "self_attn.out_proj")
        h = lin(ln(x, p + "layer_norm2"), p + "mlp.fc1")
        x = x + lin(F.gelu(h) if VAR.get("sd1_erf_gelu") else h * torch.sigmoid(1.702 * h), p + "mlp.fc2")
    return ln(x, "final_layer_norm")


def text_sd2(w, tokens, heads):
    """OpenCLIP: all resblocks but the last, erf GELU, then ln_final."""
    ln = lambda x, p: F.layer_norm(x, (x.shape[-1],), w(p + ".weight"), w(p + ".bias"), 1e-5)
    lin = lambda x, p: F.linear(x, w(p + ".weight"), w(p + ".bias"))
    x = w("token_embedding.weight")[tokens] + w("positional_embedding")[None]
    layers = w.indices("transformer.resblocks")
    for i in (layers if VAR.get("sd2_last_layer") else layers[:-1]):
        p = "transformer.resblocks.%d." % i
        h = ln(x, p + "ln_1")
        q, k, v = F.linear(h, w(p + "attn.in_proj_weight"), w(p + "attn.in_proj_bias")).chunk(3, dim=-1)
        x = x + lin(attention(q, k, v, heads, causal_mask(x.shape[1])), p + "attn.out_proj")
        h = lin(ln(x, p + "ln_2"), p + "mlp.c_fc")
        x = x + lin(h * torch.sigmoid(1.702 * h) if VAR.get("sd2_quick_gelu") else F.gelu(h), p + "mlp.c_proj")
    return ln(x, "ln_final")


# ---------------------------------------------------------------- UNet

def gn(x, w, p, eps):
    return F.group_norm(x, 32, w(p + ".weight"), w(p + ".bias"), eps)


def conv(x, w, p, **kw):
    return F.conv2d(x, w(p + ".weight"), w(p + ".bias") if w.has(p + ".bias") else None, **kw)


def resblock(w, x, emb):
    eps = VAR.get("res_eps", 1e-5)
    h = conv(F.silu(gn(x, w, "in_layers.0", eps)), w, "in_layers.2", padding=1)
    h = h + F.linear(F.silu(emb), w("emb_layers.1.weight"), w("emb_layers.1.bias"))[:, :, None, None]
    h = conv(F.silu(gn(h, w, "out_layers.0", eps)), w, "out_layers.3", padding=1)
    skip = conv(x, w, "skip_connection") if w.has("skip_connection.weight") else x
    return skip + h


def spatial_transformer(w, x, ctx, heads):
    b, c, hh, ww = x.shape
    x_in = x
    x = gn(x, w, "norm", VAR.get("st_eps", 1e-6))
    conv_proj = w("proj_in.weight").dim() == 4
    if conv_proj:
        x = conv(x, w, "proj_in")
    x = x.flatten(2).transpose(1, 2)
    if not conv_proj:
        x = F.linear(x, w("proj_in.weight"), w("proj_in.bias"))
    for i in w.indices("transformer_blocks"):
        p = "transformer_blocks.%d." % i
        ln = lambda t, n: F.layer_norm(t, (c,), w(p + n + ".weight"), w(p + n + ".bias"), 1e-5)

        def attn(t, context, a):
            q = F.linear(t, w(p + a + ".to_q.weight"))
            k = F.linear(context, w(p + a + ".to_k.weight"))
            v = F.linear(context, w(p + a + ".to_v.weight"))
            return F.linear(attention(q, k, v, heads), w(p + a + ".to_out.0.weight"), w(p + a + ".to_out.0.bias"))
        h = ln(x, "norm1")
        x = attn(h, h, "attn1") + x
        x = attn(ln(x, "norm2"), ctx, "attn2") + x
        a, gate = F.linear(ln(x, "norm3"), w(p + "ff.net.0.proj.weight"), w(p + "ff.net.0.proj.bias")).chunk(2, -1)
        x = F.linear(a * F.gelu(gate), w(p + "ff.net.2.weight"), w(p + "ff.net.2.bias")) + x
    if not conv_proj:
        x = F.linear(x, w("proj_out.weight"), w("proj_out.bias"))
    x = x.transpose(1, 2).reshape(b, c, hh, ww)
    if conv_proj:
        x = conv(x, w, "proj_out")
    return x + x_in


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float64) / half)
    args = t.double()[:, None] * freqs[None]
    if VAR.get("sin_first"):
        return torch.cat([torch.sin(args), torch.cos(args)], dim=-1)
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


def unet_block(w, x, emb, ctx, heads_for):
    """A TimestepEmbedSequential: identify each child by its keys."""
    for j in w.indices(""):
        s = w.sub("%d." % j)
        if s.has("in_layers.0.weight"):
            x = resblock(s, x, emb)
        elif s.has("proj_in.weight"):
            x = spatial_transformer(s, x, ctx, heads_for(x.shape[1]))
        elif s.has("op.weight"):
            x = conv(x, s, "op", stride=2, padding=1)
        elif s.has("conv.weight"):
            x = conv(F.interpolate(x, scale_factor=2.0, mode="nearest"), s, "conv", padding=1)
        elif s.has("weight"):
            x = F.conv2d(x, s("weight"), s("bias"), padding=1)      # input_blocks.0.0 = conv_in
        else:
            raise RuntimeError("unknown child %d: %s" % (j, list(s.t)[:4]))
    return x


def unet(w, x, t, ctx, cfg):
    if cfg.get("num_head_channels", -1) != -1:
        heads_for = lambda ch: ch // cfg["num_head_channels"]
    else:
        heads_for = lambda ch: cfg["num_heads"]
    mc = w("input_blocks.0.0.weight").shape[0]
    emb = timestep_embedding(t, mc)
    emb = F.linear(F.silu(F.linear(emb, w("time_embed.0.weight"), w("time_embed.0.bias"))),
                   w("time_embed.2.weight"), w("time_embed.2.bias"))
    hs, h = [], x
    for i in w.indices("input_blocks"):
        h = unet_block(w.sub("input_blocks.%d." % i), h, emb, ctx, heads_for)
        hs.append(h)
    h = unet_block(w.sub("middle_block."), h, emb, ctx, heads_for)
    for i in w.indices("output_blocks"):
        h = unet_block(w.sub("output_blocks.%d." % i), torch.cat([h, hs.pop()], 1), emb, ctx, heads_for)
    return conv(F.silu(gn(h, w, "out.0", 1e-5)), w, "out.2", padding=1)


# ---------------------------------------------------------------- VAE

def vae_res(w, x):
    h = conv(F.silu(gn(x, w, "norm1", 1e-6)), w, "conv1", padding=1)
    h = conv(F.silu(gn(h, w, "norm2", 1e-6)), w, "conv2", padding=1)
    return (conv(x, w, "nin_shortcut") if w.has("nin_shortcut.weight") else x) + h


def vae_attn(w, x):
    b, c, hh, ww = x.shape
    h = gn(x, w, "norm", 1e-6)
    q, k, v = (conv(h, w, n).flatten(2) for n in ("q", "k", "v"))       # b c n
    a = (q.transpose(1, 2) @ k * c ** -0.5).softmax(-1)               # b n n
    out = (v @ a.transpose(1, 2)).reshape(b, c, hh, ww)
    return x + conv(out, w, "proj_out")


def vae_mid(w, x):
    return vae_res(w.sub("mid.block_2."), vae_attn(w.sub("mid.attn_1."), vae_res(w.sub("mid.block_1."), x)))


def vae_encode(w, img):
    e = w.sub("encoder.")
    h = conv(img, e, "conv_in", padding=1)
    for i in e.indices("down"):
        for j in e.indices("down.%d.block" % i):
            h = vae_res(e.sub("down.%d.block.%d." % (i, j)), h)
        if e.has("down.%d.downsample.conv.weight" % i):
            if VAR.get("vae_symmetric_pad"):
                h = conv(h, e, "down.%d.downsample.conv" % i, stride=2, padding=1)
            else:
                h = conv(F.pad(h, (0, 1, 0, 1)), e, "down.%d.downsample.conv" % i, stride=2)
    h = vae_mid(e, h)
    h = conv(F.silu(gn(h, e, "norm_out", 1e-6)), e, "conv_out", padding=1)
    return conv(h, w, "quant_conv")


def vae_decode(w, z):
    d = w.sub("decoder.")
    h = conv(conv(z, w, "post_quant_conv"), d, "conv_in", padding=1)
    h = vae_mid(d, h)
    for i in reversed(d.indices("up")):
        for j in d.indices("up.%d.block" % i):
            h = vae_res(d.sub("up.%d.block.%d." % (i, j)), h)
        if d.has("up.%d.upsample.conv.weight" % i):
            h = conv(F.interpolate(h, scale_factor=2.0, mode="nearest"), d, "up.%d.upsample.conv" % i, padding=1)
    return conv(F.silu(gn(h, d, "norm_out", 1e-6)), d, "conv_out", padding=1)


# ---------------------------------------------------------------- driver

def sensitivity(version, ck, g, cfg):
    """How far each deliberate mistake moves the outputs, against the tolerance."""
    tw = lambda: W(ck, "cond_stage_model.transformer.text_model." if version == "sd1" else "cond_stage_model.model.")
    text = (lambda tok: text_sd1(tw(), tok, cfg["text"]["heads"])) if version == "sd1" else \
        (lambda tok: text_sd2(tw(), tok, cfg["text"]["heads"]))
    un = lambda t=None, ctx=None: unet(W(ck, "model.diffusion_model."), g["x_t"].double(),
                                        g["t"].double() if t is None else t,
                                        g["text_out"].double() if ctx is None else ctx, cfg["unet"])
    vae = W(ck, "first_stage_model.")
    other_pad = 0 if version == "sd1" else EOT
    tok_other = g["tokens"].clone()
    tok_other[g["tokens"] == cfg["text"]["pad_id"]] = other_pad
    cases = [
        ("t rounded to integer (611.5 -> 612)", "unet_out", lambda: un(t=g["t"].double().round()), {}, True),
        ("t + 0.1", "unet_out", lambda: un(t=g["t"].double() + 0.1), {}, True),
        ("timestep embedding sin before cos", "unet_out", lambda: un(), {"sin_first": True}, True),
        ("context = zeros", "unet_out", lambda: un(ctx=torch.zeros_like(g["text_out"].double())), {}, True),
        ("ResBlock GroupNorm eps 1e-6 (should be 1e-5)", "unet_out", lambda: un(), {"res_eps": 1e-6}, False),
        ("SpatialTransformer GroupNorm eps 1e-5 (should be 1e-6)", "unet_out", lambda: un(), {"st_eps": 1e-5}, False),
        ("wrong pad id (%d)" % other_pad, "text_out", lambda: text(tok_other), {}, True),
        ("VAE downsample symmetric padding 1", "moments", lambda: vae_encode(vae, g["image"].double()),
         {"vae_symmetric_pad": True}, True),
    ]
    if version == "sd1":
        cases.append(("erf GELU instead of QuickGELU", "text_out", lambda: text(g["tokens"]), {"sd1_erf_gelu": True}, True))
    else:
        cases.append(("QuickGELU instead of erf GELU", "text_out", lambda: text(g["tokens"]), {"sd2_quick_gelu": True}, True))
        cases.append(("last layer instead of penultimate", "text_out", lambda: text(g["tokens"]), {"sd2_last_layer": True}, True))
    print("-- %s: which mistakes the goldens detect at the C++ tolerance" % version)
    for name, key, fn, var, must in cases:
        VAR.clear()
        VAR.update(var)
        try:
            out = fn()
        finally:
            VAR.clear()
        ref = g[key].double()
        d = float((out - ref).abs().max())
        tol = 1e-4 * max(1.0, float(ref.abs().max()))
        seen = d > tol
        if must:
            check(seen, "%s: %-52s -> %-8s moves by %.3g (tolerance %.3g)" % (version, name, key, d, tol))
        else:
            print("info %s: %-52s -> %-8s moves by %.3g (tolerance %.3g): %s" %
                  (version, name, key, d, tol, "detected" if seen else "NOT detectable"))


def check_file_layout(path, aligned):
    tensors, meta, info = st.load(path)     # raises on any structural problem
    ds = info["data_start"]
    if aligned:
        check(ds % 8 == 0, "%s: buffer starts at %d (multiple of 8)" % (os.path.basename(path), ds))
    else:
        check(ds % 8 == 3, "%s: buffer starts at %d (== 3 mod 8, unaligned)" % (os.path.basename(path), ds))
    return tensors, meta


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(HERE, "..", "..", "tests", "data", "sd"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    p = lambda n: os.path.join(args.data, n)

    betas = np.linspace(0.00085 ** 0.5, 0.012 ** 0.5, 1000, dtype=np.float64) ** 2
    ac = torch.tensor(np.cumprod(1.0 - betas), dtype=torch.float32)
    logsnr = torch.log(ac.double()) - torch.log1p(-ac.double())

    sd1, _ = check_file_layout(p("tiny-sd1.safetensors"), True)
    for version in ("sd1", "sd2"):
        ck, cmeta = check_file_layout(p("tiny-%s.safetensors" % version), True)
        g, gmeta = check_file_layout(p("tiny-%s-golden.safetensors" % version), True)
        cfg = json.loads(gmeta["config"])
        check(json.loads(cmeta["infolens_sd_config"]) == cfg, version + ": checkpoint and golden carry the same config")
        prompts = json.loads(gmeta["prompts"])
        print("--", version, "prompts:", prompts)
        pad = cfg["text"]["pad_id"]
        check(pad == (EOT if version == "sd1" else 0), version + ": pad id %d" % pad)
        shapes = {"tokens": [2, 77], "text_out": [2, 77, cfg["text"]["width"]], "x_t": [2, 4, 8, 8], "t": [2],
                  "unet_out": [2, 4, 8, 8], "image": [1, 3, 16, 16], "moments": [1, 8, 8, 8],
                  "decoded": [1, 3, 16, 16], "alphas_cumprod": [1000]}
        for k, s in shapes.items():
            want = torch.int64 if k == "tokens" else torch.float32
            check(list(g[k].shape) == s and g[k].dtype == want, "%s golden %s %s %s" % (version, k, s, want))
        # tokens: fully determined by the published ids
        tok = g["tokens"]
        row0 = ASTRONAUT + [pad] * (77 - len(ASTRONAUT))
        row1 = [SOT] + (COREML[1:-1] * 7)[:75] + [EOT]
        check(tok[0].tolist() == row0, version + ": tokens[0] = published ids + pad")
        check(tok[1].tolist() == row1, version + ": tokens[1] = 7x published ids, truncated to 75 + EOT")
        check(torch.equal(g["t"], torch.tensor([37.0, 611.5])), version + ": t = [37.0, 611.5]")
        check(torch.equal(g["alphas_cumprod"], ac), version + ": alphas_cumprod equals numpy float64 cumprod -> F32")
        check(torch.equal(ck["alphas_cumprod"], ac), version + ": checkpoint alphas_cumprod buffer equals it too")
        check(float(g["image"].abs().max()) <= 1.0, version + ": image in [-1, 1]")

        # dtypes stored
        for k, v in ck.items():
            if k.endswith("position_ids"):
                ok = v.dtype == torch.int64
            elif "." not in k:     # DDPM buffers
                ok = v.dtype == torch.float32
            else:
                ok = v.dtype == {"F32": torch.float32, "F16": torch.float16,
                                 "BF16": torch.bfloat16}[cfg["storage"]["parameters"]]
            if not ok:
                check(False, "%s: unexpected dtype %s for %s" % (version, v.dtype, k))
        heads = cfg["text"]["heads"]
        if version == "sd1":
            check(ck["cond_stage_model.transformer.text_model.embeddings.token_embedding.weight"].shape[0] == 49408,
                  "sd1: 49408-row token table")
            text_out = text_sd1(W(ck, "cond_stage_model.transformer.text_model."), tok, heads)
        else:
            check(ck["cond_stage_model.model.token_embedding.weight"].shape[0] == 49408, "sd2: 49408-row token table")
            text_out = text_sd2(W(ck, "cond_stage_model.model."), tok, heads)
        compare(version + " text_out", text_out, g["text_out"])
        # the UNet is checked on the golden text_out (as the C++ test will feed it)
        u = unet(W(ck, "model.diffusion_model."), g["x_t"].double(), g["t"].double(), g["text_out"].double(),
                 cfg["unet"])
        compare(version + " unet_out", u, g["unet_out"])
        u2 = unet(W(ck, "model.diffusion_model."), g["x_t"].double(), g["t"].double(), text_out, cfg["unet"])
        compare(version + " unet_out (own text_out)", u2, g["unet_out"])
        vae = W(ck, "first_stage_model.")
        mom = vae_encode(vae, g["image"].double())
        compare(version + " moments", mom, g["moments"])
        compare(version + " decoded", vae_decode(vae, g["moments"].double()[:, :4]), g["decoded"])
        sensitivity(version, ck, g, cfg)

    # unaligned subset: bit-identical to the aligned file
    ua, _ = check_file_layout(p("tiny-sd1-unaligned.safetensors"), False)
    same = all(k in sd1 and ua[k].dtype == sd1[k].dtype and torch.equal(ua[k], sd1[k]) for k in ua)
    check(same and len(ua) > 0, "unaligned file: %d tensors, all bit-identical to tiny-sd1" % len(ua))
    check(any(k.startswith("first_stage_model.") for k in ua), "unaligned file holds the VAE")
    vae_keys = {k for k in sd1 if k.startswith("first_stage_model.")}
    check(vae_keys <= set(ua), "unaligned file holds every VAE tensor")

    # schedule facts quoted in SD-NOTES
    check(abs(float(ac[0]) - 0.999150) < 1e-6 and abs(float(ac[999]) - 0.004660) < 1e-6,
          "abar[0]=%.6f abar[999]=%.6f" % (ac[0], ac[999]))
    check(abs(float(logsnr[0]) - 7.069) < 1e-3 and abs(float(logsnr[999]) + 5.364) < 1e-3,
          "log-SNR range %+.3f .. %+.3f" % (logsnr[0], logsnr[999]))

    # refuse-me.ckpt is a zip holding a pickle
    with open(p("refuse-me.ckpt"), "rb") as f:
        head = f.read(4)
    check(head == b"PK\x03\x04", "refuse-me.ckpt is a torch zip archive (pickle inside)")

    print("\n%d failure(s)" % len(FAILURES))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
