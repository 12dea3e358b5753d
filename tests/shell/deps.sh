#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tools/deps installs for building and running only; --test adds what the
# test suite runs, --bench the benchmark's peers. Every tool the tests call
# comes from a package in `tools/deps --test` (or an essential one), and the
# test and CI commands ask for --test.
source "$(dirname "$0")/lib.sh"
deps=$SMALLD_SOURCE_DIR/tools/deps
base=$("$deps" --list) || fail "tools/deps --list failed"
tests=$("$deps" --test --list) || fail "tools/deps --test --list failed"
bench=$("$deps" --bench --list) || fail "tools/deps --bench --list failed"
for p in cmake pkg-config libevent-dev libinih-dev libsystemd-dev nlohmann-json3-dev; do
  grep -qxF "$p" <<<"$base" || fail "tools/deps does not install $p, which the build needs"
done
for p in memcached redis-server xinetd prometheus gnuplot-nox clang lintian socat; do
  if grep -qxF "$p" <<<"$base"; then fail "tools/deps (the quick start's) installs $p"; fi
done
ok "tools/deps: $(echo $base)"
for p in $base; do grep -qxF "$p" <<<"$tests" || fail "--test drops $p"; done
for p in memcached redis-server xinetd; do
  grep -qxF "$p" <<<"$bench" || fail "tools/deps --bench does not install $p"
  if grep -qxF "$p" <<<"$tests"; then fail "tools/deps --test installs the benchmark peer $p"; fi
done
ok "--bench adds the benchmark's peers, --test does not"

# The commands the tests run, and the package each comes from on this machine:
# one that tools/deps --test names, or one such a package depends on (clang
# is clang-14's), or an essential one.
depended=$(for p in $tests; do dpkg-query -W -f='${Depends}, ${Pre-Depends}\n' "$p" 2>/dev/null; done |
  tr ',|' '\n\n' | sed 's/^ *//; s/[ :].*//' | sort -u)
tools="nc socat curl promtool mandoc ip ss unshare nsenter setpriv prlimit python3 systemd-analyze
  dpkg-deb dpkg-shlibdeps fakeroot cpack lintian clang clang-format file timeout chromium chromedriver"
unchecked=()
for tool in $tools; do
  path=$(command -v "$tool") || { unchecked+=("$tool"); continue; }
  real=$(readlink -f "$path")
  pkg=""
  # Merged /usr registers some files under /bin; a tool found elsewhere on PATH
  # (pyenv, /usr/local) is looked up in the system's directories too.
  for candidate in "$real" "${real/#\/usr\/bin/\/bin}" "${real/#\/usr\/sbin/\/sbin}" "$path" \
                   {/usr,}/{bin,sbin}/"$tool"; do
    pkg=$(dpkg -S "$candidate" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$pkg" ] && break
  done
  [ -n "$pkg" ] || { unchecked+=("$tool"); continue; }
  essential=$(dpkg-query -W -f='${Essential}' "$pkg" 2>/dev/null || true)
  grep -qxF "$pkg" <<<"$tests" || grep -qxF "$pkg" <<<"$depended" || [ "$essential" = yes ] ||
    fail "the tests run $tool, from $pkg, which tools/deps --test does not install"
done
[ ${#unchecked[@]} = 0 ] || skip "not installed here, so not checked: ${unchecked[*]} (tools/deps --test)"
ok "every tool the tests run comes from tools/deps --test or an essential package"

for script in tools/test .ci/run; do
  grep -qE '^[^#]*tools/deps --test' "$SMALLD_SOURCE_DIR/$script" ||
    fail "$script does not run tools/deps --test"
done
grep -qE '^[^#]*tools/deps( |$)' "$SMALLD_SOURCE_DIR/tools/quickstart" ||
  fail "tools/quickstart does not run tools/deps"
if grep -qE 'tools/deps --(test|bench)' "$SMALLD_SOURCE_DIR/tools/quickstart"; then
  fail "tools/quickstart installs the test or benchmark packages"
fi
ok "tools/test and .ci/run install with --test; tools/quickstart without"
echo "deps: passed"
