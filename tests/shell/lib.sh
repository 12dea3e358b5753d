# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# lib.sh - shared by the shell tests of the command-line tools: a private
# directory, a real smalld on loopback with kernel-chosen ports and its own
# control socket, bounded waits, and one way to report.
#
# Environment (set by CTest, see CMakeLists.txt here):
#   SMALLD_BIN SMALLCTL_BIN SMALLPROBE_BIN SMALLD_SOURCE_DIR
# Exit codes: 0 pass, 1 fail, 77 skipped (with the reason on stdout).
set -euo pipefail
: "${SMALLD_BIN:?}" "${SMALLCTL_BIN:?}" "${SMALLPROBE_BIN:?}" "${SMALLD_SOURCE_DIR:?}"

fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok - $*"; }
skip() { echo "SKIP: $*"; exit 77; }

WORK=$(mktemp -d /tmp/smalld-shell.XXXXXX)
DAEMON_PID=""
cleanup() {
  local rc=$?
  if [ -n "$DAEMON_PID" ]; then
    kill "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
  fi
  if [ $rc != 0 ] && [ $rc != 77 ] && [ -f "$WORK/smalld.log" ]; then
    echo "--- smalld's log (last 20 lines) ---"; tail -20 "$WORK/smalld.log"
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT

# run_cmd OUT_VAR RC_VAR COMMAND...: stdout and stderr together, bounded to 20 s.
run_cmd() {
  local -n _out=$1 _rc=$2
  shift 2
  _rc=0
  _out=$(timeout 60 "$@" 2>&1) || _rc=$?
}

# expect_run DESCRIPTION EXIT_CODE PATTERN COMMAND...: the command exits with
# EXIT_CODE and its output (stdout and stderr) matches the bash PATTERN.
expect_run() {
  local what=$1 want_rc=$2 pattern=$3 out rc
  shift 3
  run_cmd out rc "$@"
  [ "$rc" = "$want_rc" ] || fail "$what: exit $rc, expected $want_rc; output:"$'\n'"$out"
  # shellcheck disable=SC2053
  [[ $out == $pattern ]] || fail "$what: unexpected output:"$'\n'"$out"
  ok "$what"
}

CONTROL_SOCKET=$WORK/control.sock

# config_head [metrics]: the sections a test's smalld.ini starts with (no
# connection log, the control socket CONTROL_SOCKET) and, with `metrics`, the
# HTTP endpoint on a kernel-chosen loopback port; the caller appends its
# instances.
config_head() {
  printf '[daemon]\nlog_connections = no\n[control]\nsocket = %s\n' "$CONTROL_SOCKET"
  if [ "${1:-}" = metrics ]; then printf '[metrics]\nlisten = 127.0.0.1:0\n'; fi
}

# start_daemon: smalld on WORK/smalld.ini (written by the caller), in the
# background; returns once its control socket answers (at most 60 s: a
# loaded machine, an ASan build).
start_daemon() {
  "$SMALLD_BIN" -c "$WORK/smalld.ini" >"$WORK/smalld.log" 2>&1 &
  DAEMON_PID=$!
  local i
  for _ in $(seq 300); do
    "$SMALLCTL_BIN" -s "$CONTROL_SOCKET" status >/dev/null 2>&1 && return 0
    kill -0 "$DAEMON_PID" 2>/dev/null || fail "smalld exited at start: $(cat "$WORK/smalld.log")"
    sleep 0.2
  done
  fail "smalld's control socket did not answer within 60 s"
}

# port INSTANCE PROTO: the kernel-chosen port of a listener, from smallctl -j listeners.
port() {
  "$SMALLCTL_BIN" -s "$CONTROL_SOCKET" -j listeners |
    python3 -c 'import json,sys
for l in json.load(sys.stdin)["data"]:
    if l["instance"] == sys.argv[1] and l["proto"] == sys.argv[2]: print(l["port"]); break' "$1" "$2"
}
