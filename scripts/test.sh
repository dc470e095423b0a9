#!/usr/bin/env bash
# Sets up and builds InfoLens with its tests, then runs every test with ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"
"$root/scripts/setup.sh" "$build"
cd "$build"
# Window tests need an X server: start a virtual one when there is no display.
if [ -z "${DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1600x1000x24" ctest --output-on-failure -j "$(nproc)" "$@"
fi
ctest --output-on-failure -j "$(nproc)" "$@"
