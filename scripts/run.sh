#!/usr/bin/env bash
# Sets up and builds InfoLens, then runs it on its default model and a sample.
# Until the desktop app lands, "the program" is the CLI demo on the built-in exact Gaussian model:
# per-word information maps with standard errors, then the check against the exact values.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"
"$root/scripts/setup.sh" "$build"
cli="$build/app/infolens-cli"
out="$root/out/demo"
echo
echo "==> infolens-cli maps --model default --image sample --prompt 'w0 w1 w2 w3' --out $out"
"$cli" maps --model default --image sample --prompt "w0 w1 w2 w3" --out "$out"
echo
echo "==> infolens-cli check-gaussian (estimates vs exact values, nats)"
"$cli" check-gaussian --dim 256 --words 4 --samples 1 --pairs 4096
