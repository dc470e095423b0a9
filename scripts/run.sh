#!/usr/bin/env bash
# Sets up and builds InfoLens, then opens the desktop app on the default model (shapes-v2) with a
# bundled sample image and its prompt; the maps start computing at once. Extra arguments go to
# the app (see build/app/infolens --help), e.g. --image F --prompt "..." or --session F.
# Without a display (a bare server), the app runs under Xvfb, converges, saves a screenshot to
# out/infolens-screenshot.png and exits.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"
"$root/scripts/setup.sh" "$build"
app="$build/app/infolens"
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  echo "==> starting $app"
  exec "$app" "$@"
fi
mkdir -p "$root/out"
shot="$root/out/infolens-screenshot.png"
echo "==> no display: running the app under Xvfb until the maps converge"
xvfb-run -a -s "-screen 0 1400x900x24" "$app" --fresh-layout --screenshot "$shot" "$@"
echo "==> screenshot of the app: $shot"
