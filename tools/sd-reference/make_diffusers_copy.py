#!/usr/bin/python3
"""Diffusers-folder copies of the tiny SD1 and SD2 checkpoints (tests/data/sd).

The same tensors, renamed from LDM to diffusers naming and split into unet/,
vae/ and text_encoder/, with the minimal configs a diffusers folder carries.
The renaming follows huggingface/diffusers
scripts/convert_diffusers_to_original_stable_diffusion.py (its maps applied in
reverse, generalised from 4 levels x 2 res blocks to the tiny 2 x 1), so it is
independent of the C++ loader's map. No upstream code and no torch: pure
Python byte copying.

* SD1: HF CLIP text as it is; VAE mid attention with the old names
  (query/key/value/proj_attn); files diffusion_pytorch_model.safetensors and
  text_encoder/model.safetensors; pad token "<|endoftext|>".
* SD2: the OpenCLIP text encoder converted to HF CLIP naming the way
  diffusers' convert_from_ckpt.py does for SD 2 (q/k/v split from
  in_proj_weight, the last layer dropped: a diffusers SD 2 text encoder has 23
  of 24 layers and is run with all of them, then final_layer_norm). So its
  conditioning must equal the LDM path's penultimate layer + ln_final exactly.
  VAE mid attention with the new names (to_q/to_k/to_v/to_out.0); the .fp16
  file variants; pad token "!" (id 0) in the dict form.
* The VAE mid attention's 1x1 conv weights [C, C, 1, 1] become Linear [C, C]
  (same bytes, shape changed), as diffusers stores them.

Two outputs:
* the committed recipe (default): tests/data/sd/tiny-sdN-diffusers/ with the
  config JSONs and weights.json, which lists for every file of the copy each
  tensor's diffusers name, its LDM source name, its shape and (for the split
  q/k/v) its row range. The C++ test writes the .safetensors files from it at
  run time; committing them would add 7 MB (each copy repeats the 1.6 MB token
  table).
* --full DIR: the complete folders with their .safetensors files, for loading
  by hand.

Usage, from the repository root:
  /usr/bin/python3 tools/sd-reference/make_diffusers_copy.py [--full /tmp/out]
"""
import argparse
import hashlib
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "data", "sd"))
ELEMENT = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
           "U8": 1, "BOOL": 1}

# The tiny configs (tools/sd-reference/README.md "Configs").
LEVELS, RES_BLOCKS, ATTENTION_LEVELS = 2, 1, {0}
UNET_CHANNELS, VAE_LEVELS, VAE_RES_BLOCKS = [32, 64], 2, 1


def read_header(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    return header, data[8 + n:]


# ---- UNet: convert_diffusers_to_original_stable_diffusion.py, unet_conversion_map* ----------
def unet_prefix_map():
    """(ldm prefix, diffusers prefix) pairs, the script's loops with 3 -> RES_BLOCKS + 1."""
    m = []
    stride = RES_BLOCKS + 1
    for i in range(LEVELS):
        for j in range(RES_BLOCKS):
            m.append((f"input_blocks.{stride * i + j + 1}.0.", f"down_blocks.{i}.resnets.{j}.", True))
            if i in ATTENTION_LEVELS:
                m.append((f"input_blocks.{stride * i + j + 1}.1.", f"down_blocks.{i}.attentions.{j}.", False))
        up_level = LEVELS - 1 - i            # up block i runs level LEVELS-1-i
        for j in range(RES_BLOCKS + 1):
            m.append((f"output_blocks.{stride * i + j}.0.", f"up_blocks.{i}.resnets.{j}.", True))
            if up_level in ATTENTION_LEVELS:
                m.append((f"output_blocks.{stride * i + j}.1.", f"up_blocks.{i}.attentions.{j}.", False))
        if i < LEVELS - 1:
            m.append((f"input_blocks.{stride * (i + 1)}.0.op.", f"down_blocks.{i}.downsamplers.0.conv.", False))
            index = 2 if up_level in ATTENTION_LEVELS else 1
            m.append((f"output_blocks.{stride * i + RES_BLOCKS}.{index}.", f"up_blocks.{i}.upsamplers.0.", False))
    m.append(("middle_block.1.", "mid_block.attentions.0.", False))
    for j in range(2):
        m.append((f"middle_block.{2 * j}.", f"mid_block.resnets.{j}.", True))
    return m


UNET_SIMPLE = {"time_embed.0.weight": "time_embedding.linear_1.weight",
               "time_embed.0.bias": "time_embedding.linear_1.bias",
               "time_embed.2.weight": "time_embedding.linear_2.weight",
               "time_embed.2.bias": "time_embedding.linear_2.bias",
               "input_blocks.0.0.weight": "conv_in.weight", "input_blocks.0.0.bias": "conv_in.bias",
               "out.0.weight": "conv_norm_out.weight", "out.0.bias": "conv_norm_out.bias",
               "out.2.weight": "conv_out.weight", "out.2.bias": "conv_out.bias"}
UNET_RESNET = [("in_layers.0", "norm1"), ("in_layers.2", "conv1"), ("out_layers.0", "norm2"),
               ("out_layers.3", "conv2"), ("emb_layers.1", "time_emb_proj"),
               ("skip_connection", "conv_shortcut")]


def unet_name(ldm):
    if ldm in UNET_SIMPLE:
        return UNET_SIMPLE[ldm]
    for sd, hf, resnet in unet_prefix_map():
        if ldm.startswith(sd):
            rest = ldm[len(sd):]
            if resnet:
                for a, b in UNET_RESNET:
                    if rest.startswith(a + "."):
                        rest = b + rest[len(a):]
                        break
                else:
                    raise KeyError(ldm)
            return hf + rest
    raise KeyError(ldm)


# ---- VAE: vae_conversion_map, vae_conversion_map_attn ---------------------------------------
def vae_name(ldm, new_attention_names):
    m = [("nin_shortcut", "conv_shortcut"), ("norm_out", "conv_norm_out"),
         ("mid.attn_1.", "mid_block.attentions.0.")]
    for i in range(VAE_LEVELS):
        for j in range(VAE_RES_BLOCKS):
            m.append((f"encoder.down.{i}.block.{j}.", f"encoder.down_blocks.{i}.resnets.{j}."))
        if i < VAE_LEVELS - 1:
            m.append((f"down.{i}.downsample.", f"down_blocks.{i}.downsamplers.0."))
            m.append((f"up.{VAE_LEVELS - 1 - i}.upsample.", f"up_blocks.{i}.upsamplers.0."))
        for j in range(VAE_RES_BLOCKS + 1):
            m.append((f"decoder.up.{VAE_LEVELS - 1 - i}.block.{j}.", f"decoder.up_blocks.{i}.resnets.{j}."))
    for i in range(2):
        m.append((f"mid.block_{i + 1}.", f"mid_block.resnets.{i}."))
    name = ldm
    for sd, hf in m:                       # the script's substring replacement
        name = name.replace(sd, hf)
    if "mid_block.attentions.0." in name:
        attn = ([("norm.", "group_norm."), ("q.", "to_q."), ("k.", "to_k."), ("v.", "to_v."),
                 ("proj_out.", "to_out.0.")] if new_attention_names else
                [("norm.", "group_norm."), ("q.", "query."), ("k.", "key."), ("v.", "value."),
                 ("proj_out.", "proj_attn.")])
        head, tail = name.split("mid_block.attentions.0.")
        for sd, hf in attn:
            if tail.startswith(sd):
                tail = hf + tail[len(sd):]
                break
        else:
            raise KeyError(ldm)
        name = head + "mid_block.attentions.0." + tail
    return name


# ---- text -------------------------------------------------------------------------------------
def openclip_to_hf(header, prefix):
    """OpenCLIP text (LDM SD 2) -> HF CLIPTextModel names, the last layer dropped."""
    layers = 0
    while f"{prefix}transformer.resblocks.{layers}.ln_1.weight" in header:
        layers += 1
    out = [("text_model.embeddings.token_embedding.weight", prefix + "token_embedding.weight", None),
           ("text_model.embeddings.position_embedding.weight", prefix + "positional_embedding", None),
           ("text_model.final_layer_norm.weight", prefix + "ln_final.weight", None),
           ("text_model.final_layer_norm.bias", prefix + "ln_final.bias", None)]
    for n in range(layers - 1):
        src, dst = f"{prefix}transformer.resblocks.{n}.", f"text_model.encoder.layers.{n}."
        for a, b in [("ln_1", "layer_norm1"), ("ln_2", "layer_norm2"),
                     ("attn.out_proj", "self_attn.out_proj"), ("mlp.c_fc", "mlp.fc1"),
                     ("mlp.c_proj", "mlp.fc2")]:
            for p in ("weight", "bias"):
                out.append((f"{dst}{b}.{p}", f"{src}{a}.{p}", None))
        width = header[src + "attn.in_proj_weight"]["shape"][1]
        for k, q in enumerate(("q_proj", "k_proj", "v_proj")):   # rows q, k, v (code2idx)
            rows = [k * width, (k + 1) * width]
            out.append((f"{dst}self_attn.{q}.weight", src + "attn.in_proj_weight", rows))
            out.append((f"{dst}self_attn.{q}.bias", src + "attn.in_proj_bias", rows))
    return out, layers - 1


def shape_of(header, ldm, rows, diffusers_name):
    shape = list(header[ldm]["shape"])
    if rows:
        shape[0] = rows[1] - rows[0]
    if ".mid_block.attentions.0." in diffusers_name and len(shape) == 4:
        shape = shape[:2]                  # 1x1 conv -> Linear
    return shape


def plan(version):
    header, _ = read_header(os.path.join(DATA, f"tiny-sd{version}.safetensors"))
    sd2 = version == 2
    files = {"unet": [], "vae": [], "text_encoder": []}
    for ldm in sorted(header):
        if ldm.startswith("model.diffusion_model."):
            d = unet_name(ldm[len("model.diffusion_model."):])
            files["unet"].append((d, ldm, None))
        elif ldm.startswith("first_stage_model."):
            d = vae_name(ldm[len("first_stage_model."):], new_attention_names=sd2)
            files["vae"].append((d, ldm, None))
        elif not sd2 and ldm.startswith("cond_stage_model.transformer."):
            files["text_encoder"].append((ldm[len("cond_stage_model.transformer."):], ldm, None))
    text_layers = 2
    if sd2:
        files["text_encoder"], text_layers = openclip_to_hf(header, "cond_stage_model.model.")
    names = {"unet": "diffusion_pytorch_model", "vae": "diffusion_pytorch_model",
             "text_encoder": "model"}
    recipe = {}
    for part, entries in files.items():
        fname = f"{part}/{names[part]}{'.fp16' if sd2 else ''}.safetensors"
        recipe[fname] = [[d, ldm, shape_of(header, ldm, rows, "vae." + d if part == "vae" else d),
                          rows] for d, ldm, rows in sorted(entries)]
    return header, recipe, text_layers


def configs(version, text_layers):
    sd2 = version == 2
    return {
        "model_index.json": {
            "_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.21.0",
            "scheduler": ["diffusers", "DDIMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
            "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
            "vae": ["diffusers", "AutoencoderKL"]},
        "unet/config.json": {
            "_class_name": "UNet2DConditionModel", "in_channels": 4, "out_channels": 4,
            "block_out_channels": UNET_CHANNELS, "layers_per_block": RES_BLOCKS,
            "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
            "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
            # the head count per level (diffusers' name for it): SD1 num_heads 2,
            # SD2 num_head_channels 16 -> 32/16, 64/16
            "attention_head_dim": [2, 4] if sd2 else 2, "cross_attention_dim": 16,
            "use_linear_projection": sd2, "sample_size": 8, "flip_sin_to_cos": True,
            "freq_shift": 0, "norm_eps": 1e-05, "norm_num_groups": 32},
        "vae/config.json": {
            "_class_name": "AutoencoderKL", "in_channels": 3, "out_channels": 3, "latent_channels": 4,
            "block_out_channels": [32, 32], "layers_per_block": VAE_RES_BLOCKS, "sample_size": 16,
            "scaling_factor": 0.18215},
        "text_encoder/config.json": {
            "architectures": ["CLIPTextModel"], "hidden_size": 16, "intermediate_size": 64,
            "num_attention_heads": 2, "num_hidden_layers": text_layers,
            "hidden_act": "gelu" if sd2 else "quick_gelu", "max_position_embeddings": 77,
            "vocab_size": 49408, "layer_norm_eps": 1e-05},
        "tokenizer/special_tokens_map.json": {
            "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>",
            "pad_token": ({"content": "!", "lstrip": False, "normalized": False, "rstrip": False,
                           "single_word": False} if sd2 else "<|endoftext|>")},
        "scheduler/scheduler_config.json": {
            "_class_name": "DDIMScheduler", "beta_start": 0.00085, "beta_end": 0.012,
            "beta_schedule": "scaled_linear", "num_train_timesteps": 1000,
            "prediction_type": "epsilon", "clip_sample": False, "set_alpha_to_one": False,
            "steps_offset": 1},
    }


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")


def write_safetensors(path, header, buffer, entries):
    """Tensors laid out in recipe order, header padded to 8 (as the official writer)."""
    hdr, blobs, off = {}, [], 0
    for d, ldm, shape, rows in entries:
        e = header[ldm]
        b, end = e["data_offsets"]
        raw = buffer[b:end]
        if rows:
            row = (end - b) // e["shape"][0]
            raw = raw[rows[0] * row:rows[1] * row]
        hdr[d] = {"dtype": e["dtype"], "shape": shape, "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    j = json.dumps(hdr, separators=(",", ":")).encode()
    j += b" " * (-len(j) % 8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(j)) + j + b"".join(blobs))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DATA, help="where the recipe folders go")
    ap.add_argument("--full", help="also write complete folders (with weights) here")
    args = ap.parse_args()
    for version in (1, 2):
        header, recipe, text_layers = plan(version)
        source = os.path.join(DATA, f"tiny-sd{version}.safetensors")
        with open(source, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        folder = os.path.join(args.out, f"tiny-sd{version}-diffusers")
        for rel, obj in configs(version, text_layers).items():
            write_json(os.path.join(folder, rel), obj)
        write_json(os.path.join(folder, "weights.json"), {
            "source": f"tiny-sd{version}.safetensors", "source_sha256": digest,
            "entries": "[diffusers name, LDM name in source, shape, [first row, end row] or null]",
            "files": recipe})
        if args.full:
            full = os.path.join(args.full, f"tiny-sd{version}-diffusers")
            for rel, obj in configs(version, text_layers).items():
                write_json(os.path.join(full, rel), obj)
            _, buffer = read_header(source)
            for rel, entries in recipe.items():
                write_safetensors(os.path.join(full, rel), header, buffer, entries)
        print(folder, {k: len(v) for k, v in recipe.items()})


if __name__ == "__main__":
    main()
