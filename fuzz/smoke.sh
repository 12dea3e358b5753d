#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Runs every libFuzzer target of a SMALLD_FUZZ build for SECONDS each (default
# 60), starting from the committed seed corpus; fails on any crash, leak,
# timeout or sanitizer report. New inputs go to a scratch corpus, not the repo.
# A libFuzzer process uses one core, so JOBS targets run side by side
# (FUZZ_JOBS, default: the number of cores); each still gets its SECONDS.
#   fuzz/smoke.sh BUILD_DIR [SECONDS]
set -eu
build=${1:?usage: fuzz/smoke.sh BUILD_DIR [SECONDS]}
seconds=${2:-60}
jobs=${FUZZ_JOBS:-$(nproc)}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d /tmp/smalld-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT INT TERM
targets="fuzz_admission fuzz_config fuzz_control_request fuzz_http_request fuzz_service fuzz_stamp"
for target in $targets; do
    if [ -z "$(find "$build" -name "$target" -type f -perm -u+x | head -n 1)" ]; then
        echo "smoke: $target not built in $build (cmake --build $build --target fuzz)" >&2
        exit 2
    fi
done

# run TARGET: one target's run; its verdict is the file TARGET.ok or TARGET.failed.
run() {
    target=$1
    bin=$(find "$build" -name "$target" -type f -perm -u+x | head -n 1)
    mkdir -p "$scratch/$target" "$scratch/artifacts"
    if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$scratch/artifacts/$target-" \
        "$scratch/$target" "$here/corpus/$target" >"$scratch/$target.log" 2>&1; then
        touch "$scratch/$target.ok"
    else
        touch "$scratch/$target.failed"
    fi
}

echo "smoke: $(echo $targets | wc -w) targets for ${seconds}s each, $jobs at a time"
running=0
for target in $targets; do
    run "$target" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait

status=0
for target in $targets; do
    if [ -f "$scratch/$target.ok" ]; then
        echo "smoke: $target: $(grep -E "^stat::number_of_executed_units" "$scratch/$target.log" | tr -s ' ')"
        continue
    fi
    tail -n 60 "$scratch/$target.log" >&2
    for f in "$scratch/artifacts/$target-"*; do
        [ -f "$f" ] && { echo "smoke: crashing input (base64):" >&2; base64 "$f" >&2; }
    done
    echo "smoke: $target FAILED" >&2
    status=1
done
[ "$status" -eq 0 ] && echo "smoke: all fuzz targets clean"
exit "$status"
