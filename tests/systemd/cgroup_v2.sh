#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The lab on a pure cgroup v2 host: its systemd must run in a subtree of its
# own (smalld-lab-N), not take over the caller's cgroup, and "stop" must
# remove that subtree. On a v1 or hybrid host the script makes a pure v2 view
# for itself: cgroup2 mounted over /sys/fs/cgroup in a private mount namespace.
source "$(dirname "$0")/lib.sh"
require_lab
if [ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] && [ -z "${SMALLD_LAB_V2_VIEW:-}" ]; then
  grep -qw cgroup2 /proc/filesystems || skip "no cgroup2 file system in this kernel"
  exec env SMALLD_LAB_V2_VIEW=1 unshare --mount --propagation private \
    bash -c 'mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec bash "$0"' "$0"
fi
lab_up
cg=$(cat "$LAB_STATE/cgroup")
own=$(grep '^0::' /proc/"$(cat "$LAB_STATE/pid")"/cgroup)
[[ $own == "0::/$cg/"* ]] || fail "the lab's systemd is in $own, not under /$cg"
ok "the lab's systemd runs in its own subtree: $own"
[ -d "/sys/fs/cgroup/$cg" ] || fail "no /sys/fs/cgroup/$cg"
"$LAB_TOOL" stop "$LAB_STATE"
[ ! -e "/sys/fs/cgroup/$cg" ] || fail "stop left /sys/fs/cgroup/$cg"
ok "stop removed /sys/fs/cgroup/$cg"
echo "cgroup_v2: passed"
