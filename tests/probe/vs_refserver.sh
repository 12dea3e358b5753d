#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# smallprobe against refserver, every mode: exit status 0 and a nonzero count
# of operations, plus the documented exit codes for usage (2) and a refused
# port (3). Everything is on 127.0.0.1. The runs are bounded by work (-n
# messages), not by time, and wait for replies as long as a loaded machine
# needs (-w 30s): a reply that takes a while is not an error here, a wrong
# one is. Only the hold mode (idle) runs for a duration.
set -u
probe=$1
refserver=$2
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT

# Ports below the ephemeral range; a few tries in case another test holds one.
started=no
for _ in 1 2 3 4 5; do
    base=$((20000 + (RANDOM % 1200) * 10))
    echo_port=$base time_port=$((base + 1)) udp_port=$((base + 2)) dead_port=$((base + 3))
    pids=()
    "$refserver" echo "$echo_port" 2>/dev/null & pids+=($!)
    "$refserver" time "$time_port" 2>/dev/null & pids+=($!)
    "$refserver" udp-echo "$udp_port" 2>/dev/null & pids+=($!)
    # Up when each one's socket is there (ss names the owner), out when one
    # exited (its port was taken); a minute of neither is a hang.
    for ((i = 0; i < 600; i++)); do
        kill -0 "${pids[@]}" 2>/dev/null || break
        if ss -Hltnp "sport = :$echo_port" | grep -q "pid=${pids[0]}," &&
           ss -Hltnp "sport = :$time_port" | grep -q "pid=${pids[1]}," &&
           ss -Hlunp "sport = :$udp_port" | grep -q "pid=${pids[2]},"; then
            started=yes
            break
        fi
        sleep 0.1
    done
    [ "$started" = yes ] && break
    cleanup
done
if [ "$started" != yes ]; then
    echo "FAIL could not start refserver on a free port"
    exit 1
fi

failures=0
# check NAME WANT_EXIT NEED_OPS PROBE-ARGS...
check() {
    local name=$1 want=$2 need_ops=$3
    shift 3
    local out rc ops
    out=$(timeout 120 "$probe" "$@" --json 2>/dev/null)
    rc=$?
    ops=$(grep -o '"ops":[0-9]*' <<<"$out" | cut -d: -f2)
    if [ "$rc" -ne "$want" ] || { [ "$need_ops" = yes ] && [ "${ops:-0}" -eq 0 ]; }; then
        echo "FAIL $name: exit $rc (want $want), ops ${ops:-none}: $out"
        failures=$((failures + 1))
    else
        echo "ok   $name: exit $rc, ops ${ops:-0}"
    fi
}

check "tcp echo" 0 yes echo -c 4 -P 4 -n 4000 -w 30s "127.0.0.1:$echo_port"
check "tcp echo 16k" 0 yes echo -c 2 -s 16k -n 1000 -w 30s "127.0.0.1:$echo_port"
check "open-loop echo" 0 yes echo -c 2 -R 2000 -n 1000 -w 30s "127.0.0.1:$echo_port"
check "udp echo" 0 yes echo -u -c 4 -n 2000 -w 30s "127.0.0.1:$udp_port"
# 500/s: a receive buffer's worth of datagrams takes longer to pile up than a
# busy machine leaves refserver waiting for a core.
check "open-loop udp echo" 0 yes echo -u -c 2 -R 500 -n 250 -w 30s "127.0.0.1:$udp_port"
check "time" 0 yes time -c 4 -n 400 -w 30s "127.0.0.1:$time_port"
check "churn" 0 yes churn -c 4 -n 400 -w 30s "127.0.0.1:$echo_port"
check "churn 16k" 0 yes churn -c 2 -s 16k -n 100 -w 30s "127.0.0.1:$echo_port"
check "idle" 0 yes idle -c 100 -d 1s -w 30s "127.0.0.1:$echo_port"
check "count" 0 yes echo -n 500 -w 30s "127.0.0.1:$echo_port"
check "refused" 3 no echo -d 1s "127.0.0.1:$dead_port"
# An echo server never answers a time query: each one times out (-w), the
# expected outcome, so a short wait cannot fail falsely.
check "wrong service" 1 no time -c 1 -n 3 -w 500ms "127.0.0.1:$echo_port"
"$probe" echo -s 0 "127.0.0.1:$echo_port" >/dev/null 2>&1
rc=$?
if [ "$rc" -ne 2 ]; then echo "FAIL usage: exit $rc (want 2)"; failures=$((failures + 1)); else echo "ok   usage: exit 2"; fi
exit $((failures > 0))
