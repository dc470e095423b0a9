#!/usr/bin/env bash
# Run HERE (a Debian 12 machine with registry access), before lending a GPU machine: downloads the
# Debian packages the core-only build needs beyond CMake, a compiler and PyTorch (headers and
# libraries the GPU image lacks) into .device-deps/ (git-ignored, ~25 MB). Carry that folder to
# the GPU machine (`run` with carry [".device-deps"]); scripts/device-check.sh unpacks it into a
# private prefix (nothing is installed system-wide).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/.device-deps"
mkdir -p "$dest"
packages=(nlohmann-json3-dev libssl-dev libssl3 libstb-dev libstb0 libicu-dev libicu72
          icu-devtools catch2 pkgconf libpkgconf3 pkgconf-bin)
cd "$dest"
apt-get update -qq > /dev/null
apt-get download "${packages[@]}"
du -sh "$dest"
