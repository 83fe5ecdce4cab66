#!/usr/bin/env bash
# Runs one libFuzzer target: every committed crash input first (each must now
# run clean), then a bounded fuzzing run from the committed seeds.
#
#   run_fuzz.sh BINARY NAME SECONDS WORKDIR
#
# New inputs go to WORKDIR/corpus/NAME (the seeds are never written); a crash
# leaves WORKDIR/crash-NAME-<hash>: commit it under tests/fuzz/regressions/NAME/
# with the fix. Exit 0: no crash, no leak, no sanitizer report.
set -euo pipefail
bin=$1 name=$2 seconds=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
seeds=$here/corpus/$name
regressions=$here/regressions/$name
mkdir -p "$work/corpus/$name"
if compgen -G "$regressions/*" >/dev/null; then
  echo "fuzz $name: replaying $(ls "$regressions" | wc -l) regression inputs" >&2
  "$bin" -rss_limit_mb=2048 -timeout=10 "$regressions"/*
fi
corpora=("$work/corpus/$name")
[[ -d $seeds ]] && corpora+=("$seeds")
echo "fuzz $name: ${seconds}s from ${#corpora[@]} corpora" >&2
# -max_len bounds one input; -timeout one run of it; -rss_limit_mb memory.
# The progress lines (NEW, REDUCE, pulse) are dropped from the log.
set +e
"$bin" -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$work/crash-$name-" -print_final_stats=1 "${corpora[@]}" 2>&1 |
  grep -v -e $'^#[0-9]*\t\(NEW\|REDUCE\|pulse\)' -e $'^\tNEW_FUNC'
status=${PIPESTATUS[0]}
exit "$status"
