#!/usr/bin/env bash
# The GPU check, run unattended on a machine with an NVIDIA GPU and a pip PyTorch (no Qt, no
# network): builds the core-only InfoLens against that PyTorch's LibTorch, runs the tests labelled
# `cuda` (engine on CUDA vs CPU, tiny Stable Diffusion on CUDA vs the reference), then the
# Stable Diffusion benchmarks on CUDA float16, writing JSON and a log to $OUT (or ./device-out).
#
#   scripts/device-check.sh [--dry-run] [--build-dir DIR] [--out DIR] [--skip-build]
#
# --dry-run: CPU, float32, tiny models and few repeats, so that CI keeps this script working on
# machines without a GPU (the cuda tests then pass by saying they skipped).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dry=0
build=""
out="${OUT:-$PWD/device-out}"
skip_build=0
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry=1 ;;
    --build-dir) build="$2"; shift ;;
    --out) out="$2"; shift ;;
    --skip-build) skip_build=1 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "device-check: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$out"
log="$out/device-check.log"
: > "$log"
say() { echo "[$(date +%H:%M:%S)] $*" | tee -a "$log" >&2; }
start=$(date +%s)

# --- build ---------------------------------------------------------------------------------
if [ -z "$build" ]; then
  build="$root/build-device"
fi
if [ "$skip_build" = 0 ]; then
  prefix=""
  dep_args=()
  deps=""
  # Debian packages carried from scripts/fetch-device-deps.sh, unpacked into a private prefix.
  if ls "$root"/.device-deps/*.deb > /dev/null 2>&1; then
    deps=/tmp/infolens-deps
    mkdir -p "$deps"
    for deb in "$root"/.device-deps/*.deb; do dpkg-deb -x "$deb" "$deps"; done
    export CPATH="$deps/usr/include:$deps/usr/include/x86_64-linux-gnu${CPATH:+:$CPATH}"
    export LIBRARY_PATH="$deps/usr/lib/x86_64-linux-gnu${LIBRARY_PATH:+:$LIBRARY_PATH}"
    export LD_LIBRARY_PATH="$deps/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export PKG_CONFIG_PATH="$deps/usr/lib/x86_64-linux-gnu/pkgconfig:$deps/usr/share/pkgconfig"
    export PKG_CONFIG_SYSROOT_DIR="$deps"
    [ -x "$deps/usr/bin/pkgconf" ] && ! command -v pkg-config > /dev/null && \
      export PKG_CONFIG_EXECUTABLE="$deps/usr/bin/pkgconf" PATH="$deps/usr/bin:$PATH"
    dep_args=(-DCMAKE_PREFIX_PATH="$deps/usr" -DOPENSSL_ROOT_DIR="$deps/usr")
    say "using carried Debian packages unpacked in $deps"
  fi
  if [ "$dry" = 0 ] && python3 -c 'import torch' 2>/dev/null; then
    prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"
    say "LibTorch from pip PyTorch $(python3 -c 'import torch; print(torch.__version__, torch.version.cuda)') at $prefix"
  else
    say "LibTorch from the system (find_package(Torch))"
  fi
  if [ ! -f "$build/CMakeCache.txt" ]; then
    # Missing headers or libraries stop here, with CMake's message in the log.
    if ! cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DINFOLENS_BUILD_UI=OFF \
      "${dep_args[@]}" ${prefix:+-DCMAKE_PREFIX_PATH="$prefix${deps:+;$deps/usr}"} \
      ${PKG_CONFIG_EXECUTABLE:+-DPKG_CONFIG_EXECUTABLE="$PKG_CONFIG_EXECUTABLE"} >> "$log" 2>&1; then
      say "configure failed (missing packages? run scripts/fetch-device-deps.sh here and carry" \
          ".device-deps); last lines:"
      tail -20 "$log" >&2
      exit 1
    fi
  fi
  say "building (core only) with $(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc) jobs"
  cmake --build "$build" -j "$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)" --target infolens-cli infolens_cuda_tests >> "$log" 2>&1
fi
cli="$build/app/infolens-cli"
[ -x "$cli" ] || { say "no infolens-cli in $build"; exit 1; }

# --- tests labelled cuda -------------------------------------------------------------------
say "tests labelled cuda"
tests_rc=0
ctest --test-dir "$build" -L cuda --output-on-failure -V > "$out/cuda-tests.log" 2>&1 || tests_rc=$?
grep -E "worst relative gap|skipped|tests passed|tests failed" "$out/cuda-tests.log" | tee -a "$log" >&2 || true

# --- benchmarks ----------------------------------------------------------------------------
if [ "$dry" = 1 ]; then
  device=cpu; dtype=float32
  models=("sd1:sd:$root/tests/data/sd/tiny-sd1.safetensors,heads=2,text-heads=2,image=16")
  throughput_args=(--samples 4 --repeats 1 --batch 8)
  latency_args=(--repeats 1 --cap 8)
  estimator_args=(--pilot 16 --cap 32)
else
  device=cuda; dtype=float16
  models=("sd1:sd1-random" "sd2:sd2-random")
  throughput_args=(--samples 64 --repeats 5 --batch 64)
  latency_args=(--repeats 5)
  # Issue 14 at the goal's 2 % on the full-size network (on 2 CPU cores this is ~25 min a run;
  # at 64x64 px and 5 % it gave a ratio of 0.60, docs/results.md).
  estimator_args=(--pilot 256 --cap 2048)
fi

# Peak device memory: nvidia-smi sampled in the background (LibTorch's C++ API has no portable
# allocator statistics across 1.13 and 2.x).
peak_file="$out/peak-device-memory-mib.txt"
echo 0 > "$peak_file"
sampler_pid=""
if [ "$dry" = 0 ] && command -v nvidia-smi > /dev/null; then
  ( peak=0; while true; do
      used=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i 0 2>/dev/null | head -1)
      if [ -n "$used" ] && [ "$used" -gt "$peak" ]; then peak=$used; echo "$peak" > "$peak_file"; fi
      sleep 0.5
    done ) &
  sampler_pid=$!
fi
cleanup() { [ -n "$sampler_pid" ] && kill "$sampler_pid" 2> /dev/null || true; }
trap cleanup EXIT

bench_rc=0
for entry in "${models[@]}"; do
  name="${entry%%:*}"; model="${entry#*:}"
  say "bench-throughput $name ($model) on $device $dtype"
  "$cli" bench-throughput --model "$model" --device "$device" --dtype "$dtype" --json \
    "${throughput_args[@]}" > "$out/bench-throughput-$name.json" 2>> "$log" || bench_rc=1
  if [ "$dry" = 0 ]; then
    # Host synchronisation inside the draw loop would make blocking launches cost nothing extra;
    # the ratio of the two runs is the evidence.
    say "bench-throughput $name with CUDA_LAUNCH_BLOCKING=1"
    CUDA_LAUNCH_BLOCKING=1 "$cli" bench-throughput --model "$model" --device "$device" \
      --dtype "$dtype" --json "${throughput_args[@]}" \
      > "$out/bench-throughput-$name-blocking.json" 2>> "$log" || bench_rc=1
  fi
  say "bench-latency $name on $device $dtype"
  "$cli" bench-latency --model "$model" --device "$device" --dtype "$dtype" --json \
    --template "a {0} cat next to a {1} dog" --image "$root/resources/samples/0002.png" \
    "${latency_args[@]}" > "$out/bench-latency-$name.json" 2>> "$log" || bench_rc=1
  say "bench-estimator $name on $device $dtype"
  "$cli" bench-estimator --model "$model" --device "$device" --dtype "$dtype" --json \
    --image "$root/resources/samples/0002.png" --prompt "a red cat sitting on a blue sofa" \
    "${estimator_args[@]}" > "$out/bench-estimator-$name.json" 2>> "$log" || bench_rc=1
done
cleanup

elapsed=$(( $(date +%s) - start ))
cat > "$out/summary.json" <<EOF
{"dry_run": $dry, "device": "$device", "dtype": "$dtype", "cuda_tests_rc": $tests_rc,
 "bench_rc": $bench_rc, "peak_device_memory_mib": $(cat "$peak_file"), "seconds": $elapsed}
EOF
say "done in ${elapsed} s: $(cat "$out/summary.json" | tr -d '\n')"
[ "$tests_rc" = 0 ] && [ "$bench_rc" = 0 ]
