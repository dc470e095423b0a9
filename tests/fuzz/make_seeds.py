#!/usr/bin/env python3
"""Writes the seed corpora under corpus/<target>/ (standard library only). Crashing inputs found later are added beside them
as regression-* files by hand."""
import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

here = Path(__file__).resolve().parent
root = here.parent.parent
hostile = root / "tests" / "data" / "hostile"
corpus = here / "corpus"


def put(target, name, data):
    folder = corpus / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(w, h, colour=2):
    channels = {0: 1, 2: 3, 6: 4}[colour]
    raw = b"".join(b"\x00" + bytes((x * 5 + y * 11) % 256 for x in range(w * channels)) for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def bmp(w, h):
    row = (w * 3 + 3) // 4 * 4
    pixels = b"".join(bytes((x + y) % 256 for x in range(w * 3)).ljust(row, b"\0") for y in range(h))
    return (b"BM" + struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54)
            + struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(pixels), 0, 0, 0, 0) + pixels)


def npy(descr, shape, data):
    text = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    while (10 + len(text) + 1) % 64:
        text += " "
    text += "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode() + data


def safetensors(tensors):
    header, blob = {}, b""
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(blob), len(blob) + len(data)]}
        blob += data
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + blob


# image
put("image", "rgb-4x3.png", png(4, 3))
put("image", "gray-5x2.png", png(5, 2, colour=0))
put("image", "rgba-3x3.png", png(3, 3, colour=6))
put("image", "rgb-3x2.bmp", bmp(3, 2))
for name in ["gif-renamed.png", "tga-renamed.png", "truncated.png", "wide-100000x1.png", "huge-dims.bmp"]:
    put("image", name, (hostile / name).read_bytes())
# corpus/image/rgb-8x8.jpg (kept, not regenerated) was written by stb_image_write's
# stbi_write_jpg, quality 80, from an 8x8 gradient.

# session
for name in ["version-999.infolens", "dotdot-image.infolens", "dev-zero-image.infolens"]:
    put("session", name, (hostile / name).read_bytes())
good = json.loads((hostile / "dotdot-image.infolens").read_bytes())
good["image"]["path"] = "image.png"
put("session", "good.infolens", json.dumps(good).encode())

# npy
put("npy", "f4-2x3.npy", npy("<f4", "(2, 3)", struct.pack("<6f", *range(6))))
put("npy", "f8-4.npy", npy("<f8", "(4,)", struct.pack("<4d", 1, 2, 3, 4)))
put("npy", "scalar.npy", npy("<f4", "()", struct.pack("<f", 1)))
for name in ["negative-shape.npy", "overflow-shape.npy", "huge-number-shape.npy", "short-data.npy"]:
    put("npy", name, (hostile / name).read_bytes())

# bundle
manifest = json.loads((root / "resources" / "models" / "shapes-v2" / "manifest.json").read_bytes())
put("bundle", "shapes-v2.json", json.dumps(manifest).encode())
manifest["schedule"] = {"type": "discrete", "beta_schedule": "scaled_linear", "beta_start": 0.00085,
                        "beta_end": 0.012, "timesteps": 1000}
put("bundle", "discrete.json", json.dumps(manifest).encode())

# safetensors
put("safetensors", "two.safetensors", safetensors({
    "a": ("F32", [2, 2], struct.pack("<4f", 1, 2, 3, 4)), "b": ("F16", [3], b"\0" * 6)}))
put("safetensors", "empty.safetensors", safetensors({}))

# prompt
for name, text in {
    "plain.txt": b"a red circle left of a blue square",
    "emoji.txt": "a red \U0001F431 circle".encode(),
    "rtl.txt": "\u05D7\u05EA\u05D5\u05DC \u0627\u0644\u0642\u0637 \u202Ea cat\u202C".encode(),
    "combining.txt": "e\u0301\u0301 cafe\u0301 \u0915\u094D\u0937".encode(),
    "nul.txt": b"a red\0circle",
    "punctuation.txt": b"a, b... c's x-ray -- 'q' !?",
}.items():
    put("prompt", name, text)
put("prompt", "invalid-utf8.txt", (hostile / "invalid-utf8-prompt.txt").read_bytes())
