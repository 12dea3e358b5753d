#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The Debian package, as a distribution builds it: a scratch build with
# -DCMAKE_INSTALL_PREFIX=/usr and dpkg-buildflags' hardening (Debian policy
# keeps /usr/local out of packages), then cpack -G DEB (Depends from
# dpkg-shlibdeps, the configuration as a conffile, units where systemd's
# pkg-config file says, maintainer scripts with dh_installsystemd's
# semantics, copyright, changelog, NEWS, contrib/ as examples, bash
# completion) and lintian, which must report no error and no hardening tag.
# It needs no lab, so it runs beside the other tests; systemd.deb installs
# the two packages it makes (this version and a newer one) in the lab.
source "$(dirname "$0")/lib.sh"
command -v cpack >/dev/null || skip "cpack not available"
command -v dpkg-shlibdeps >/dev/null || skip "dpkg-shlibdeps not available (apt-get install dpkg-dev)"
command -v lintian >/dev/null || skip "lintian not available (tools/deps --test)"
[ "$(id -u)" = 0 ] || skip "needs root (lintian runs as nobody)"
# The scratch build lives beside the normal one and is reused: a rerun
# compiles only what changed. Only the installed programs are built.
scratch=$SMALLD_BUILD_DIR/deb-usr
rm -f "$scratch-pkg/built.env"
# systemd.opt_build reconfigures it for /opt afterwards: its cached paths
# go first (-U), so they are computed for /usr again.
{ cmake -S "$SMALLD_SOURCE_DIR" -B "$scratch" -U 'SMALLD_*' -DCMAKE_INSTALL_PREFIX=/usr -DSMALLD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMALLD_DEBIAN_BUILDFLAGS=ON &&
  cmake --build "$scratch" -j2 --target smalld smallctl smallprobe; } >"$scratch.log" 2>&1 ||
  { tail -30 "$scratch.log"; fail "the scratch build with prefix /usr failed"; }
grep -q '"/run/smalld/control.sock"' "$scratch/generated/build_config.h" ||
  fail "the /usr build's default control socket is not /run/smalld/control.sock (RuntimeDirectory=smalld)"
CONFIG=/etc/smalld/smalld.ini
SBINDIR=/usr/sbin
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)

pkgdir=$scratch-pkg
rm -rf "$pkgdir"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$scratch/CMakeCache.txt")
# make_deb VERSION: the package of this build, as VERSION, in $pkgdir/VERSION.
make_deb() {
  { cmake "$scratch" -DSMALLD_DEB_VERSION="$1" &&
    cpack -G DEB --config "$scratch/CPackConfig.cmake" -B "$pkgdir/$1"; } >"$scratch.log" 2>&1 ||
    { tail -30 "$scratch.log" >&2; fail "cpack -G DEB of version $1 failed" >&2; }
  ls "$pkgdir/$1/smalld_$1"_*.deb 2>/dev/null | head -1
}
deb=$(make_deb "$version")
[ -f "$deb" ] || fail "cpack made no .deb for $version"
newer=$(make_deb "$version+1")
[ -f "$newer" ] || fail "cpack made no .deb for $version+1"
cmake "$scratch" -DSMALLD_DEB_VERSION="$version" >/dev/null
ok "built $(basename "$deb") and $(basename "$newer") with prefix /usr"
depends=$(dpkg-deb -f "$deb" Depends)
echo "    Depends: $depends"
for lib in libevent libinih libsystemd; do
  [[ $depends == *$lib* ]] || fail "Depends lacks $lib (shlibdeps off?)"
done
control=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t)
[[ $control == *conffiles* ]] || fail "no conffiles in the package"
conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)
[ "$conffiles" = "$CONFIG" ] || fail "conffiles lists '$conffiles', expected $CONFIG"
ok "Depends has libevent, libinih and libsystemd; conffile $CONFIG"
completions=$(pkg-config --variable=completionsdir bash-completion 2>/dev/null ||
  echo /usr/share/bash-completion/completions)
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for file in ".$CONFIG" ".$SBINDIR/smalld" ./usr/bin/smallctl ".$unitdir/smalld.service" \
            ".$unitdir/smalld.socket" ".$unitdir/smalld-echo.socket" ./usr/share/man/man8/smalld.8.gz \
            ./usr/share/doc/smalld/copyright ./usr/share/doc/smalld/changelog.gz \
            ./usr/share/doc/smalld/NEWS.gz ./usr/share/doc/smalld/examples/prometheus/smalld-alerts.yml \
            ./usr/share/doc/smalld/examples/grafana/smalld-dashboard.json \
            ".$completions/smalld" ".$completions/smallctl" ".$completions/smallprobe"; do
  grep -qxF "$file" <<<"$contents" || fail "the package lacks $file"
done
if grep -E '^\./usr/local/' <<<"$contents"; then fail "the package installs into /usr/local"; fi
grep -qxF ".$CONFIG.d/" <<<"$contents" || fail "the package lacks the drop-in directory $CONFIG.d/"
if grep -E "^\.$CONFIG\.d/." <<<"$contents"; then fail "the drop-in directory $CONFIG.d/ is not empty"; fi
ok "the drop-in directory $CONFIG.d/ is shipped, empty"
ok "files: $CONFIG, $SBINDIR/smalld, units in $unitdir, manuals, copyright, changelog, NEWS, contrib/ as examples, completions in $completions; nothing in /usr/local"

# lintian, as a user: it warns when run as root. Its whole output is shown.
chmod -R a+rX "$pkgdir"
lint_rc=0
lint=$(setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp \
  lintian -I --fail-on error --no-cfg "$deb" 2>&1) || lint_rc=$?
echo "    lintian $(basename "$deb"):"
sed 's/^/      /' <<<"${lint:-(no output)}"
grep -q 'License: BSD-2-Clause' <<<"$(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/doc/smalld/copyright)" ||
  fail "the package's copyright file does not grant BSD-2-Clause"
[ $lint_rc = 0 ] || fail "lintian reports errors (exit $lint_rc)"
if grep -q '^E: ' <<<"$lint"; then fail "lintian reports errors"; fi
if grep -q 'hardening-' <<<"$lint"; then fail "lintian: the binaries lack hardening (dpkg-buildflags)"; fi
ok "lintian: no errors, no hardening tags (built with dpkg-buildflags, hardening=+all)"

# What systemd.deb installs in the lab.
printf 'version=%q\ndeb=%q\nnewer=%q\n' "$version" "$deb" "$newer" >"$pkgdir/built.env"
ok "the packages are in $pkgdir (built.env)"
