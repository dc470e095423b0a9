#!/usr/bin/env bash
# Sanitizer builds (issue 13), run by .ci/run after scripts/test.sh (which installed the packages).
#
#   1. ASan + UBSan, -O1, build-asan (UI off): the io tests (files, sessions, NPY, safetensors,
#      images through our stb build, crash-safe writes): every reader of untrusted bytes, no
#      LibTorch, so the build is small. (The engine and worker tests are not in it: a second
#      instrumented LibTorch-side build does not fit the 30-minute CI; the readers are also fuzzed
#      under ASan+UBSan, tests/fuzz.)
#   2. TSan, -O1, build-tsan (UI off): the worker tests (LiveWorker: latest-wins, cancellation,
#      destruction while computing, interventions and generation beside maps), with
#      OMP_NUM_THREADS=1. LibTorch's OpenMP runtime is not instrumented: with its threads on, TSan
#      reports every tensor our worker allocates and an OpenMP thread then reads (it cannot see
#      the fork/join). One intra-op thread keeps every thread in the test one of ours, so nothing
#      of LibTorch needs suppressing (cpuThreadCount honours OMP_NUM_THREADS).
#
# Suppressions live in scripts/sanitizers/*.supp, each entry with the reason it is not ours.
#
# Times measured on a quiet 2-core machine (session 10, no ccache, LibTorch's headers precompiled):
#   stage 1 build 168 s, tests 25 s (35 test cases); stage 2 build 305 s, tests 68 s (23 test
#   cases, 0 reports).
# Set INFOLENS_SANITIZERS=asan or =tsan to run one stage only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
supp="$root/scripts/sanitizers"
stages="${INFOLENS_SANITIZERS:-asan tsan}"
jobs="$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)"
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

configure() {  # configure DIR FLAGS
  cmake -S "$root" -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=None -DINFOLENS_BUILD_UI=OFF \
    "${launcher[@]}" -DCMAKE_CXX_FLAGS="$2" -DCMAKE_C_FLAGS="$2" \
    -DCMAKE_EXE_LINKER_FLAGS="$2" -DCMAKE_SHARED_LINKER_FLAGS="$2" >/dev/null
}

elapsed() { echo $(( $(date +%s) - $1 )); }

for stage in $stages; do
  start=$(date +%s)
  case "$stage" in
    asan)
      dir="$root/build-asan"
      # UBSan checks stay recoverable so that ubsan.supp can name Debian's stb code; halt_on_error
      # still stops at the first report that is not suppressed.
      configure "$dir" "-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer"
      cmake --build "$dir" -j"$jobs" --target infolens_io_tests
      echo "sanitizers: asan build $(elapsed "$start") s"
      t=$(date +%s)
      export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
      export LSAN_OPTIONS="suppressions=$supp/lsan.supp:print_suppressions=0"
      export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$supp/ubsan.supp"
      "$dir/tests/io/infolens_io_tests"
      echo "sanitizers: asan tests $(elapsed "$t") s"
      ;;
    tsan)
      dir="$root/build-tsan"
      configure "$dir" "-O1 -g -fsanitize=thread"
      cmake --build "$dir" -j"$jobs" --target infolens_worker_tests
      echo "sanitizers: tsan build $(elapsed "$start") s"
      t=$(date +%s)
      export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$supp/tsan.supp"
      (cd "$dir" && OMP_NUM_THREADS=1 tests/infolens_worker_tests "[worker]")
      echo "sanitizers: tsan tests $(elapsed "$t") s"
      ;;
    *) echo "unknown sanitizer stage '$stage'" >&2; exit 2 ;;
  esac
done
