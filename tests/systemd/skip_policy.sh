#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# lib.sh's skip(): exit 77 normally, but a failure under SMALLD_REQUIRE_LAB=1
# (.ci/run), so that CI cannot pass with every lab test skipped.
set -u
: "${SMALLD_SOURCE_DIR:?}"
export SMALLD_BUILD_DIR=unused SMALLD_CONFIG_PATH=unused SMALLD_SYSTEMD_UNITDIR=unused SMALLD_SBINDIR=unused
lib=$SMALLD_SOURCE_DIR/tests/systemd/lib.sh
rc=0; SMALLD_REQUIRE_LAB= bash -c "source '$lib'; skip no lab here" >/dev/null || rc=$?
[ $rc = 77 ] || { echo "FAIL: skip exits $rc without SMALLD_REQUIRE_LAB, expected 77"; exit 1; }
rc=0; out=$(SMALLD_REQUIRE_LAB=1 bash -c "source '$lib'; skip no lab here") || rc=$?
[ $rc = 1 ] || { echo "FAIL: skip exits $rc under SMALLD_REQUIRE_LAB=1, expected 1"; exit 1; }
[[ $out == FAIL:*"no lab here"* ]] || { echo "FAIL: the failure does not give the reason: $out"; exit 1; }
grep -q '^export SMALLD_REQUIRE_LAB=1$' "$SMALLD_SOURCE_DIR/.ci/run" ||
  { echo "FAIL: .ci/run does not export SMALLD_REQUIRE_LAB=1"; exit 1; }
echo "ok - skip is 77 normally, a failure naming the reason under SMALLD_REQUIRE_LAB=1 (set by .ci/run)"
