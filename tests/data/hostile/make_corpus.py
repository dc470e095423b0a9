#!/usr/bin/env python3
"""Regenerates the hostile corpus in this folder (see README.md). Standard library only."""
import json
import struct
import zlib
from pathlib import Path

here = Path(__file__).resolve().parent


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width, height, rows=None):
    head = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if rows is None:
        return head
    raw = b"".join(b"\x00" + bytes((x * 7 + y * 13) % 256 for x in range(width * 3)) for y in range(height))
    return head + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def npy(header, data):
    text = header
    while (10 + len(text) + 1) % 64:
        text += " "
    text += "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode() + data


def session(image_path, version=1):
    return json.dumps({
        "format": "infolens-session", "version": version, "savedBy": "hostile corpus",
        "savedAt": "2024-01-01T00:00:00Z",
        "model": {"spec": "default", "name": "shapes-v2", "hash": ""},
        "image": {"path": image_path, "sha256": "", "width": 64, "height": 64},
        "prompt": "a red circle",
        "words": {"modes": ["omit", "omit", "omit"], "placeholder": "_"},
        "sampling": {"seed": 1, "sampleCap": 128, "targetRelativeSe": 0.05, "iidSampler": False},
        "view": {"colormap": "viridis", "opacity": 0.6, "sharedScale": True,
                 "maskBelowThreshold": False, "contour": False, "fadeLowValues": True,
                 "thresholdFraction": 0.5, "selectedWord": -1},
    }, indent=2).encode() + b"\n"


files = {
    # 1x1 GIF
    "gif-renamed.png": b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01"
                       b"\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
    # 2x2 uncompressed true-colour TGA
    "tga-renamed.png": bytes([0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2, 0, 24, 0]) + b"\x40" * 12,
    "truncated.png": png(32, 32, rows=True)[:200],
    "wide-100000x1.png": png(100000, 1),
    "huge-dims.bmp": b"BM" + struct.pack("<IHHI", 54, 0, 0, 54)
                     + struct.pack("<IiiHHIIiiII", 40, 1 << 30, 1 << 30, 1, 24, 0, 0, 0, 0, 0, 0),
    "empty.png": b"",
    # 8x8 grey baseline JPEG whose only scan uses DC table 1; only DC 0 and AC 0 are defined
    "undefined-huffman-table.jpg": b"\xff\xd8\xff\xc0\x00\x0b\x08\x00\x08\x00\x08\x01\x01\x11\x00"
                                   + b"".join(b"\xff\xc4\x00\x14" + bytes([t, 1]) + b"\x00" * 16
                                              for t in (0x00, 0x10))
                                   + b"\xff\xda\x00\x08\x01\x01\x10\x00\x3f\x00\x00\xff\xd9",
    "negative-shape.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 64, 64), }", b""),
    "overflow-shape.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': "
                              "(4294967296, 4294967296, 3), }", b""),
    "huge-number-shape.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': "
                                 "(99999999999999999999999999, 3), }", b""),
    "short-data.npy": npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 64, 64), }",
                          b"\x00" * 100),
    "version-999.infolens": session("image.png", version=999),
    "dev-zero-image.infolens": session("/dev/zero"),
    "fifo-image.infolens": session("fifo-made-at-test-time.png"),
    "dotdot-image.infolens": session("../../../../../../etc/passwd"),
    "invalid-utf8-prompt.txt": b"a red \xc3\x28 circle \xff\xfe",
}
for name, data in files.items():
    (here / name).write_bytes(data)
