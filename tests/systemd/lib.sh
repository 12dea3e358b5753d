# SPDX-License-Identifier: BSD-2-Clause
# lib.sh - shared by the systemd tests: boot a lab (tools/smalld-lab), install
# the build into it, talk to the services, wait with bounds, report.
#
# Environment (set by CTest, see CMakeLists.txt here):
#   SMALLD_SOURCE_DIR SMALLD_BUILD_DIR SMALLD_CONFIG_PATH SMALLD_SYSTEMD_UNITDIR
#   SMALLD_SBINDIR
# Exit codes: 0 pass, 1 fail, 77 skipped (with the reason on stdout).
# SMALLD_REQUIRE_LAB=1 (set by .ci/run) turns every skip into a failure: CI
# must not pass with the real-systemd tests silently not run.
set -euo pipefail
shopt -s extglob

: "${SMALLD_SOURCE_DIR:?}" "${SMALLD_BUILD_DIR:?}" "${SMALLD_CONFIG_PATH:?}" "${SMALLD_SYSTEMD_UNITDIR:?}" "${SMALLD_SBINDIR:?}"
HERE=$SMALLD_SOURCE_DIR/tests/systemd
LAB_TOOL=$SMALLD_SOURCE_DIR/tools/smalld-lab
CONFIG=$SMALLD_CONFIG_PATH
LAB_STATE=""

skip() {
  if [ "${SMALLD_REQUIRE_LAB:-0}" = 1 ]; then
    echo "FAIL: cannot run (SMALLD_REQUIRE_LAB=1): $*"
    exit 1
  fi
  echo "SKIP: $*"
  exit 77
}
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok - $*"; }

# Skips (exit 77) unless a lab can be booted here.
require_lab() {
  [ "$(id -u)" = 0 ] || skip "needs root (booting systemd in namespaces)"
  command -v unshare >/dev/null || skip "unshare(1) not available"
  command -v nsenter >/dev/null || skip "nsenter(1) not available"
  [ -x /lib/systemd/systemd ] || skip "systemd is not installed"
  command -v python3 >/dev/null || skip "python3 not available (tests/systemd/ask.py)"
  grep -qw overlay /proc/filesystems || skip "no overlay file system in this kernel"
  unshare --pid --fork --mount --net true 2>/dev/null ||
    skip "unshare --pid --mount --net is not permitted here (container without privileges?)"
  [ -x "$SMALLD_BUILD_DIR/daemon/smalld" ] || fail "no daemon binary in $SMALLD_BUILD_DIR/daemon; build first"
}

lab() { "$LAB_TOOL" run "$LAB_STATE" "$@"; }

lab_down() {
  local rc=$?
  if [ -n "$LAB_STATE" ] && [ -f "$LAB_STATE/pid" ]; then
    if [ $rc != 0 ] && [ $rc != 77 ]; then
      echo "--- journal of smalld (last 40 lines) ---"
      lab journalctl --no-pager -n 40 -u smalld.service -u 'smalld*.socket' 2>&1 || true
    fi
    "$LAB_TOOL" stop "$LAB_STATE" || true
  fi
  [ -n "$LAB_STATE" ] && rm -rf "$LAB_STATE"
  exit $rc
}

lab_up() {
  require_lab
  LAB_STATE=$(mktemp -d /tmp/smalld-lab.XXXXXX)
  trap lab_down EXIT
  if ! "$LAB_TOOL" start "$LAB_STATE"; then
    # Seen rarely under load: report it, and try once more in a fresh lab.
    echo "lab did not boot; its log:"; sed 's/^/    /' "$LAB_STATE/boot.log"
    "$LAB_TOOL" stop "$LAB_STATE" || true
    rm -rf "$LAB_STATE"; LAB_STATE=$(mktemp -d /tmp/smalld-lab.XXXXXX)
    echo "retrying the boot once"
    "$LAB_TOOL" start "$LAB_STATE" || { sed 's/^/    /' "$LAB_STATE/boot.log"; fail "lab did not boot"; }
  fi
}

# cmake --install into the lab's overlays, then make the units visible to its
# systemd (linked from /run when the unit directory is off systemd's path).
install_build() {
  lab cmake --install "$SMALLD_BUILD_DIR" >"$LAB_STATE/install.log" 2>&1 ||
    { cat "$LAB_STATE/install.log"; fail "cmake --install failed"; }
  case "$SMALLD_SYSTEMD_UNITDIR" in
    /etc/systemd/system|/usr/local/lib/systemd/system|/usr/lib/systemd/system|/lib/systemd/system) ;;
    *) lab sh -c "ln -sf '$SMALLD_SYSTEMD_UNITDIR'/smalld*.s* /run/systemd/system/" ;;
  esac
  lab systemctl daemon-reload
}

# Writes stdin to the configuration file in the lab.
put_config() { lab sh -c "cat > '$CONFIG'"; }

prop() { lab systemctl show -p "$2" --value "$1"; }

# wait_until SECONDS DESCRIPTION COMMAND...: poll every 0.2 s. For something
# expected, give it tens of seconds (PATIENCE): a loaded machine is slow, and
# only a hang should fail the test.
PATIENCE=60
wait_until() {
  local limit=$1 what=$2; shift 2
  local end=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || fail "timed out after ${limit}s waiting for: $what"
    sleep 0.2
  done
}

is_active() { [ "$(prop "$1" ActiveState)" = active ]; }

# ask PROTO HOST PORT [ARGS]: one exchange from inside the lab; prints len=N REPR.
ask() { lab python3 "$HERE/ask.py" "$@"; }

# expect DESCRIPTION PATTERN PROTO HOST PORT [ARGS]: the reply matches the
# bash pattern (on "len=N REPR").
expect() {
  local what=$1 pattern=$2; shift 2
  local reply
  reply=$(ask "$@" 2>&1) || fail "$what: no reply ($reply)"
  # shellcheck disable=SC2053
  [[ $reply == $pattern ]] || fail "$what: unexpected reply: $reply"
  ok "$what"
}

# smallctl in the lab, if this build has it (prints its path).
lab_smallctl() { lab sh -c 'command -v smallctl'; }

# The journal of smalld.service since the lab booted, as plain messages.
journal() { lab journalctl --no-pager -o cat -u smalld.service "$@"; }

# journal_has FIXED_STRING: read whole, then search (with pipefail, "journal |
# grep -q" can fail when grep exits before journalctl has written everything).
journal_has() { local text; text=$(journal); grep -qiF -- "$1" <<<"$text"; }
