#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded number of inputs: first every file of its corpus
# (seeds and regress-* findings), then RUNS new ones. New interesting inputs go to WORK, not to
# the source tree; a crash leaves its input in WORK as crash-* and fails the test.
# Usage: run_fuzz.sh TARGET CORPUS WORK RUNS [libFuzzer flags...]
set -euo pipefail
target=$1 corpus=$2 work=$3 runs=$4
shift 4
mkdir -p "$work/new"
# libFuzzer reports a crash or a leak with exit code 77 by default, which meson counts as a
# skipped test: findings must fail it.
exec "$target" "$work/new" "$corpus" -runs="$runs" -max_len=8192 -timeout=20 -error_exitcode=1 \
  -rss_limit_mb=4096 -print_final_stats=1 -print_coverage=0 -artifact_prefix="$work/" "$@"
