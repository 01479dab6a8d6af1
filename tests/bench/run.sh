#!/usr/bin/env bash
# Runs every benchmark binary (tests/bench/*/bench_* or named in tests/bench/<m>/run-args)
# inside a private network namespace, one after the other, and prints their figures.
set -euo pipefail
build_dir=${1:-build/default}
here=$(cd "$(dirname "$0")" && pwd)
shopt -s nullglob
for bin in "$build_dir"/tests/bench/*/*; do
  [ -f "$bin" ] && [ -x "$bin" ] || continue
  case "$(basename "$bin")" in *.cmake|CMakeFiles) continue ;; esac
  echo "=== $(basename "$bin")"
  "$here/../in-netns.sh" "$bin"
done
