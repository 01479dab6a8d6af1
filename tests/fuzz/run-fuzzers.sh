#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, starting from its seed corpus in
# tests/fuzz/corpus/<target>/ (new inputs go to a scratch copy, the seed corpus is not
# modified). Exits non-zero on the first crash.
set -euo pipefail
build_dir=${1:?build dir}
seconds=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
shopt -s nullglob
ran=0
for bin in "$build_dir"/tests/fuzz/*/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  scratch=$(mktemp -d)
  cp -r "$here/corpus/$name/." "$scratch/" 2>/dev/null || true
  echo "fuzz: $name for ${seconds}s"
  "$bin" -max_total_time="$seconds" -max_len=4096 -artifact_prefix="$scratch/" \
    -print_final_stats=0 "$scratch" 2>"$scratch/log" || {
    tail -50 "$scratch/log"
    echo "fuzz: $name FAILED (artifacts in $scratch)"
    exit 1
  }
  rm -rf "$scratch"
  ran=$((ran + 1))
done
echo "fuzz: $ran targets ran clean"
