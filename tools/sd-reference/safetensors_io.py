"""A tiny safetensors writer and a validating reader (no `safetensors` package).

Format (huggingface/safetensors README, "Format"): u64 little-endian header
size N, then N bytes of UTF-8 JSON, then the byte buffer; every entry's
data_offsets are relative to the start of the buffer.
"""
import json
import struct

import numpy as np
import torch

# name -> (torch dtype, numpy dtype used for the raw bytes, element size)
DTYPES = {
    "F64": (torch.float64, "<f8", 8), "F32": (torch.float32, "<f4", 4),
    "F16": (torch.float16, "<f2", 2), "BF16": (torch.bfloat16, "<i2", 2),
    "I64": (torch.int64, "<i8", 8), "I32": (torch.int32, "<i4", 4),
    "I16": (torch.int16, "<i2", 2), "I8": (torch.int8, "i1", 1),
    "U8": (torch.uint8, "u1", 1), "BOOL": (torch.bool, "?", 1),
}
TORCH_TO_CODE = {v[0]: k for k, v in DTYPES.items()}


def tensor_bytes(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:          # numpy has no bfloat16: take the bits
        return (t.float().view(torch.int32) >> 16).to(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().astype(DTYPES[TORCH_TO_CODE[t.dtype]][1], copy=False).tobytes()


def save(path, tensors, metadata=None, align=True):
    """Write `tensors` (name -> torch.Tensor). Tensors are laid out by
    descending element size, then name (as the official writer does), so every
    tensor starts at a multiple of its element size within the buffer.  With
    align=True the header is padded with spaces to a multiple of 8 (official
    behaviour since safetensors 0.3); align=False leaves it unpadded, which
    reproduces files whose buffer starts at an unaligned file offset."""
    names = sorted(tensors, key=lambda n: (-DTYPES[TORCH_TO_CODE[tensors[n].dtype]][2], n))
    hdr, blobs, off = {}, [], 0
    if metadata:
        hdr["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for n in names:
        b = tensor_bytes(tensors[n])
        hdr[n] = {"dtype": TORCH_TO_CODE[tensors[n].dtype], "shape": list(tensors[n].shape),
                  "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    j = json.dumps(hdr, separators=(",", ":")).encode("utf-8")
    if align:
        j += b" " * (-len(j) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(j)) + j + b"".join(blobs))


def load(path):
    """Read and validate a safetensors file. Returns (tensors, metadata, info)
    where info has the header size and the file offset of the buffer."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError("file too short")
    n = struct.unpack("<Q", data[:8])[0]
    if n > len(data) - 8 or n > 100_000_000:
        raise ValueError("header size out of range")
    raw = data[8:8 + n]
    if not raw.startswith(b"{"):
        raise ValueError("header does not start with '{'")

    def no_dups(pairs):
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise ValueError("duplicate key in header")
        return dict(pairs)

    hdr = json.loads(raw.decode("utf-8"), object_pairs_hook=no_dups)
    meta = hdr.pop("__metadata__", None) or {}
    buf = data[8 + n:]
    spans, out = [], {}
    for name, e in hdr.items():
        tdt, ndt, size = DTYPES[e["dtype"]]
        b, end = e["data_offsets"]
        numel = 1
        for d in e["shape"]:
            numel *= d
        if end - b != numel * size or not 0 <= b <= end <= len(buf):
            raise ValueError("bad data_offsets for %s" % name)
        spans.append((b, end))
        arr = np.frombuffer(buf[b:end], dtype=ndt).copy()   # copy: never trust alignment
        t = torch.from_numpy(arr)
        if e["dtype"] == "BF16":
            t = (t.to(torch.int32) << 16).view(torch.float32).to(torch.bfloat16)
        out[name] = t.reshape(e["shape"])
    pos = 0
    for b, end in sorted(spans):
        if b != pos:
            raise ValueError("hole or overlap in the byte buffer at %d" % b)
        pos = end
    if pos != len(buf):
        raise ValueError("byte buffer not fully covered (%d of %d)" % (pos, len(buf)))
    return out, meta, {"header_size": n, "data_start": 8 + n}
