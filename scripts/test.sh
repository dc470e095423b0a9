#!/usr/bin/env bash
# Sets up and builds InfoLens with its tests, then runs every test with ctest.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build"
"$root/scripts/setup.sh" "$build"
cd "$build"
# ctest runs nproc tests at once and LibTorch would give each of them every core: on 2 cores that
# oversubscription doubled the run time (label `model`, -j2: 76.7 s with every core per test,
# 38.5 s with one). A caller's own OMP_NUM_THREADS wins.
# GNU nproc answers OMP_NUM_THREADS when it is set: count the cores without it, or the export
# below turns `ctest -j` into one test at a time (CI took 577 s for the tests instead of ~290 s).
jobs="$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
# Window tests need an X server: start a virtual one when there is no display.
if [ -z "${DISPLAY:-}" ]; then
  exec xvfb-run -a -s "-screen 0 1600x1000x24" ctest --output-on-failure -j "$jobs" "$@"
fi
ctest --output-on-failure -j "$jobs" "$@"
