#!/usr/bin/env python3
"""Before/after check for a log-SNR proposal change (issue 14): are the maps unchanged within
their standard errors?

For every bundled sample (resources/samples/NNNN.png with its caption) it runs
`infolens-cli maps` twice on the default model, once with each proposal and with different seeds
(so the two estimates are independent), and compares:
  * every value (the prompt's MI and each word's CMI, i_o and i_s): z = (a - b) / sqrt(se_a^2 +
    se_b^2). If both estimate the same quantity with honest SEs, z is close to standard normal:
    about 5 % of |z| exceed 2 and 0.3 % exceed 3 (the false-alarm rates of those thresholds);
  * every word's map: Pearson r between the two maps (float32 NPY, nats per pixel).

Standard library only (no numpy). Prints a Markdown table and a JSON summary line.

  python3 tools/compare_proposals.py --cli build/app/infolens-cli --samples 256
"""
import argparse
import glob
import json
import math
import os
import struct
import subprocess
import sys
import tempfile


def read_npy_float32(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        raise ValueError(path + " is not an NPY file")
    major = data[6]
    if major == 1:
        header_len = struct.unpack("<H", data[8:10])[0]
        start = 10 + header_len
    else:
        header_len = struct.unpack("<I", data[8:12])[0]
        start = 12 + header_len
    header = data[start - header_len:start].decode("latin1")
    if "'<f4'" not in header:
        raise ValueError(path + ": expected little-endian float32, header " + header)
    count = (len(data) - start) // 4
    return struct.unpack("<%df" % count, data[start:start + 4 * count])


def pearson(x, y):
    n = len(x)
    mx = sum(x) / n
    my = sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx <= 0 or syy <= 0:
        return float("nan")
    return sxy / math.sqrt(sxx * syy)


def run_maps(cli, image, prompt, proposal, seed, samples, out):
    subprocess.run([cli, "maps", "--model", "default", "--image", image, "--prompt", prompt,
                    "--samples", str(samples), "--seed", str(seed), "--proposal", proposal,
                    "--out", out, "--quiet"], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "values.json")) as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cli", default="build/app/infolens-cli")
    parser.add_argument("--samples-dir", default="resources/samples")
    parser.add_argument("--samples", type=int, default=256, help="log-SNR draws per run")
    parser.add_argument("--before", default="logistic")
    parser.add_argument("--after", default="uniform")
    parser.add_argument("--seed-before", type=int, default=1)
    parser.add_argument("--seed-after", type=int, default=2)
    args = parser.parse_args()

    images = sorted(p for p in glob.glob(os.path.join(args.samples_dir, "[0-9]*.png"))
                    if not p.endswith("_masks.png"))
    if not images:
        sys.exit("no samples in " + args.samples_dir)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for image in images:
            stem = os.path.splitext(os.path.basename(image))[0]
            with open(os.path.join(args.samples_dir, stem + ".txt")) as f:
                prompt = f.read().strip()
            a_dir = os.path.join(tmp, stem + "-a")
            b_dir = os.path.join(tmp, stem + "-b")
            a = run_maps(args.cli, image, prompt, args.before, args.seed_before, args.samples,
                         a_dir)
            b = run_maps(args.cli, image, prompt, args.after, args.seed_after, args.samples,
                         b_dir)
            entries = [("MI", a["mi"], b["mi"], None)]
            entries += [(wa["word"], wa, wb, (wa["map_npy"], wb["map_npy"]))
                        for wa, wb in zip(a["words"], b["words"])]
            for name, ea, eb, maps in entries:
                row = {"sample": stem, "word": name}
                for form, key, se_key in (("i_o", "bits", "se_bits"),
                                          ("i_s", "standard_bits", "standard_se_bits")):
                    se = math.hypot(ea[se_key], eb[se_key])
                    row[form + "_before"] = ea[key]
                    row[form + "_after"] = eb[key]
                    row[form + "_se_before"] = ea[se_key]
                    row[form + "_se_after"] = eb[se_key]
                    row[form + "_z"] = (eb[key] - ea[key]) / se if se > 0 else float("nan")
                if maps:
                    row["map_r"] = pearson(read_npy_float32(os.path.join(a_dir, maps[0])),
                                           read_npy_float32(os.path.join(b_dir, maps[1])))
                rows.append(row)

    print("| sample | value | i_o before (%s) | i_o after (%s) | z | i_s z | map r |"
          % (args.before, args.after))
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print("| %s | %s | %.3f ± %.3f | %.3f ± %.3f | %+.2f | %+.2f | %s |" % (
            r["sample"], r["word"], r["i_o_before"], r["i_o_se_before"], r["i_o_after"],
            r["i_o_se_after"], r["i_o_z"], r["i_s_z"],
            "%.3f" % r["map_r"] if "map_r" in r else "—"))
    zs = [r[f + "_z"] for r in rows for f in ("i_o", "i_s") if math.isfinite(r[f + "_z"])]
    map_rs = sorted(r["map_r"] for r in rows if "map_r" in r and math.isfinite(r["map_r"]))
    summary = {
        "values": len(zs),
        "abs_z_over_2": sum(abs(z) > 2 for z in zs),
        "abs_z_over_3": sum(abs(z) > 3 for z in zs),
        "mean_z_squared": sum(z * z for z in zs) / len(zs),
        "max_abs_z": max(abs(z) for z in zs),
        "map_r_median": map_rs[len(map_rs) // 2] if map_rs else None,
        "map_r_min": map_rs[0] if map_rs else None,
        "samples": args.samples,
        "before": args.before,
        "after": args.after,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
