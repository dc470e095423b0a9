#!/usr/bin/env bash
# Reproduces resources/models/shapes-v1 (the default model): the exact recipe of MODEL_CARD.md.
# Checkpoints go to WORK_DIR; run the script again to resume after a stop (Ctrl-C is safe).
# Usage: scripts/train-default-model.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
work="${2:-$root/out/train-shapes-v1}"
"$build/app/infolens-train" --out "$root/out/shapes-v1" --work "$work" --name shapes-v1 --seed 0 \
  --image-size 64 --examples 20000 --ae-channels 32 --ae-steps 1000 --ae-batch 32 \
  --steps 7000 --batch 64 --lr 0.0005 --unet-channels 64 --text-dim 64 "${@:3}"
echo "bundle in $root/out/shapes-v1; copy it to resources/models/shapes-v1 to ship it"
