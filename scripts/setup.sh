#!/usr/bin/env bash
# Installs what is missing (Debian packages only), then configures and builds InfoLens (Release).
# Usage: scripts/setup.sh [BUILD_DIR]   (default: build). Run as root on Debian 12, or with sudo
# available for the install step.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"

packages=(
  g++ cmake ninja-build pkg-config
  libtorch-dev libopenblas0-openmp
  nlohmann-json3-dev libssl-dev libstb-dev catch2 libicu-dev
  qt6-base-dev qt6-qpa-plugins libgl-dev fonts-dejavu-core
  libvulkan-dev glslc mesa-vulkan-drivers
  xvfb xauth
  libopenmpi-dev openmpi-bin
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "==> configuring $build"
# With OpenMPI present, `infolens-cli batch` also runs under mpirun (docs/scale-out.md).
mpi_flag=()
command -v mpicxx >/dev/null 2>&1 && mpi_flag=(-DINFOLENS_WITH_MPI=ON)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${mpi_flag[@]}" >/dev/null
echo "==> building (this takes a few minutes the first time)"
# Two jobs: each LibTorch translation unit needs ~1 GB and ~15 s.
cmake --build "$build" -j "$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)"
