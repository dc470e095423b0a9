#!/usr/bin/env bash
# Reproduces resources/models/shapes-v2 (the default model): the exact recipe of MODEL_CARD.md.
# Checkpoints go to WORK_DIR; run the script again to resume after a stop (Ctrl-C is safe).
# Usage: scripts/train-default-model.sh [BUILD_DIR] [WORK_DIR] [extra infolens-train flags]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
work="${2:-$root/out/train-shapes-v2}"
"$build/app/infolens-train" --out "$root/out/shapes-v2" --work "$work" --name shapes-v2 --seed 0 \
  --image-size 64 --examples 30000 --ae-channels 32 --ae-steps 1000 --ae-batch 32 \
  --steps 9000 --batch 64 --lr 0.0005 --unet-channels 64 --text-dim 64 --text-layers 3 \
  --unet-layout 2 "${@:3}"
echo "bundle in $root/out/shapes-v2; copy it to resources/models/shapes-v2 to ship it"
