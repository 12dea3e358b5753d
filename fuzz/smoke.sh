#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Runs every libFuzzer target of a SMALLD_FUZZ build for SECONDS each (default
# 60), starting from the committed seed corpus; fails on the first crash, leak,
# timeout or sanitizer report. New inputs go to a scratch corpus, not the repo.
#   fuzz/smoke.sh BUILD_DIR [SECONDS]
set -eu
build=${1:?usage: fuzz/smoke.sh BUILD_DIR [SECONDS]}
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d /tmp/smalld-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT INT TERM
status=0
for target in fuzz_admission fuzz_config fuzz_control_request fuzz_http_request fuzz_service fuzz_stamp; do
    bin=$(find "$build" -name "$target" -type f -perm -u+x | head -n 1)
    if [ -z "$bin" ]; then
        echo "smoke: $target not built in $build (cmake --build $build --target fuzz)" >&2
        exit 2
    fi
    mkdir -p "$scratch/$target" "$scratch/artifacts"
    echo "smoke: $target for ${seconds}s"
    if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 -artifact_prefix="$scratch/artifacts/$target-" \
        "$scratch/$target" "$here/corpus/$target" >"$scratch/$target.log" 2>&1; then
        tail -n 60 "$scratch/$target.log" >&2
        for f in "$scratch/artifacts/$target-"*; do
            [ -f "$f" ] && { echo "smoke: crashing input (base64):" >&2; base64 "$f" >&2; }
        done
        echo "smoke: $target FAILED" >&2
        status=1
    else
        grep -E "^stat::number_of_executed_units|^Done" "$scratch/$target.log" || true
    fi
done
[ "$status" -eq 0 ] && echo "smoke: all fuzz targets clean"
exit "$status"
