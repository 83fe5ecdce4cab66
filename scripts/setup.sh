#!/usr/bin/env bash
# Installs everything lfm needs from Debian 12's packages. Idempotent: quiet
# and quick when all is there. The CUDA toolkit (NVRTC, headers) is expected
# at /usr/local/cuda; it is optional until the CUDA code generator is built.
set -euo pipefail

packages=(
  build-essential cmake ninja-build python3 pkg-config
  libmlir-16-dev mlir-16-tools llvm-16-dev llvm-16-tools
  libabsl-dev libgtest-dev nlohmann-json3-dev
  flatbuffers-compiler libflatbuffers-dev libboost-context-dev
  zlib1g-dev libzstd-dev libtinfo-dev
  libpcre2-dev libcpp-httplib-dev
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -e /usr/local/cuda/include/nvrtc.h ]]; then
  echo "setup: note: no CUDA toolkit at /usr/local/cuda (needed only for CUDA code generation)" >&2
fi
