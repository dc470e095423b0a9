#!/usr/bin/env bash
# Sets up and builds InfoLens, then runs it on the default model (shapes-v1) and a bundled sample.
# Until the desktop app lands, "the program" is the CLI: per-word information maps of a held-out
# ShapesWorld image with standard errors, an image generated from a prompt, and the estimator's
# check against an exact Gaussian model.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"
"$root/scripts/setup.sh" "$build"
cli="$build/app/infolens-cli"
out="$root/out/demo"
mkdir -p "$out"
sample="$root/resources/samples/0002"
prompt="$(cat "$sample.txt")"
echo
echo "==> infolens-cli maps --model default --image $sample.png --prompt \"$prompt\""
"$cli" maps --model default --image "$sample.png" --prompt "$prompt" --out "$out/maps"
echo
echo "==> infolens-cli generate --prompt \"a large red star above a small blue circle\""
"$cli" generate --prompt "a large red star above a small blue circle" --seed 1 --out "$out/generated.png"
echo
echo "==> infolens-cli check-gaussian (estimates vs exact values, nats)"
"$cli" check-gaussian --dim 256 --words 4 --samples 1 --pairs 4096
echo
echo "Maps (PNG overlays, NPY, values.json) are in $out/maps."
