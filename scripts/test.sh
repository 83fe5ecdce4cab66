#!/usr/bin/env bash
# Sets up, builds and runs every test (GoogleTest, lit/FileCheck, end to end),
# then the hardening pass: the runtime, its tools and tests built again with
# clang, AddressSanitizer + UndefinedBehaviorSanitizer (no recovery;
# LeakSanitizer included), running the unit tests, a bounded run of every
# libFuzzer target (tests/fuzz) and the runtime tools' end-to-end tests.
# LFM_SKIP_SANITIZE=1 skips that pass.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${LFM_BUILD_DIR:-build}
scripts/setup.sh
start=$SECONDS
echo "test: full build in $build" >&2
scripts/build.sh
ctest --test-dir "$build" --output-on-failure -j2
echo "test: main pass took $((SECONDS - start)) s" >&2
[[ ${LFM_SKIP_SANITIZE:-0} == 1 ]] && exit 0

# The runtime alone builds without MLIR/LLVM (what ships to GPU machines):
# the sanitizer build is that build.
start=$SECONDS
echo "test: sanitizer + fuzz build (clang, ASan+UBSan, -DLFM_BUILD_COMPILER=OFF) in $build-asan" >&2
CC=clang CXX=clang++ LFM_BUILD_DIR=$build-asan scripts/build.sh \
  -DLFM_BUILD_COMPILER=OFF -DLFM_FUZZ=ON -DLFM_FUZZ_SECONDS="${LFM_FUZZ_SECONDS:-30}"
ctest --test-dir "$build-asan" --output-on-failure -j2
# The runtime tools end to end under the sanitizers (artifacts from the main
# build's lfm-compile): LeakSanitizer checks every exit, the server's
# graceful shutdown included.
LFM_RUNTIME_TOOLS=$PWD/$build-asan/tools ctest --test-dir "$build" --output-on-failure -j2 \
  -R '^e2e_(golden_cpu|demo_text|serve|perplexity)$'
echo "test: sanitizer pass took $((SECONDS - start)) s" >&2
