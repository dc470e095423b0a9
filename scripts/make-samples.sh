#!/usr/bin/env bash
# Regenerates resources/samples/: held-out ShapesWorld test scenes (image, caption, masks, JSON).
# Usage: scripts/make-samples.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
"$build/app/infolens-cli" shapes dump --split test --n 6 --out "$root/resources/samples"
