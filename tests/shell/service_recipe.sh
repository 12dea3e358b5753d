#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# docs/ARCHITECTURE.md's recipe for a new service type, followed in a scratch
# copy of the sources: one new daemon/services/service_NAME.cpp and one row in
# daemon/services/service_types.h, nothing else. Then the type builds into
# smalld, is configurable (smalld -t, its keys, -T), is among the types the
# generated lists give (the unknown-type error, the `type` key's help), and
# smalld-units writes its socket unit, pulls it into smalld.socket and lists
# it for the install rule and the Debian scripts. A second throwaway type that
# listens nowhere gets no unit.
#
# Cheap: only the files the row changes are compiled (the new ones and the
# catalogue, service_registry.cpp, with this build's own compile commands),
# and linked with this build's libsmalld_core.a; a row appended to the
# catalogue moves no existing enumerator, so the other objects stand.
set -euo pipefail
: "${SMALLD_SOURCE_DIR:?}" "${SMALLD_BUILD_DIR:?}"
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok - $*"; }
skip() { echo "SKIP: $*"; exit 77; }

build=$SMALLD_BUILD_DIR
[ -f "$build/compile_commands.json" ] || skip "no compile_commands.json in $build"
[ -f "$build/daemon/CMakeFiles/smalld.dir/link.txt" ] || skip "not a Makefile build (no link.txt)"
command -v python3 >/dev/null || skip "python3 not available"
command -v git >/dev/null && git -C "$SMALLD_SOURCE_DIR" rev-parse >/dev/null 2>&1 ||
  skip "not a git checkout"

WORK=$(mktemp -d /tmp/smalld-recipe.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
src=$WORK/src
# The scratch copy: the sources as git has them (committed or not).
mkdir "$src"
(cd "$SMALLD_SOURCE_DIR" && git ls-files -z --cached --others --exclude-standard -- daemon stamp etc cmake |
  tar -cf - --null -T -) | tar -C "$src" -xf -
touch "$WORK/copied"

# The recipe: one file...
cat >"$src/daemon/services/service_recipe.cpp" <<'EOF'
// SPDX-License-Identifier: BSD-2-Clause
// A throwaway type: answers every datagram and stream with "r".
#include "service_registry.h"

namespace smalld {
namespace {

class RecipeService final : public Service {
  public:
    StreamMode stream_mode() const override { return StreamMode::Discard; }
    ptrdiff_t datagram(Datagram&, std::span<uint8_t> out) override {
        if (out.empty()) return kReplyTooLarge;
        out[0] = 'r';
        return 1;
    }
};

}  // namespace

extern const ServiceSpec kRecipeSpec{
    .title = "recipe (RFC 0)",
    .standard_port = 4999,
    .make = [](const InstanceConfig&,
               StatusRenderer&) -> std::unique_ptr<Service> { return std::make_unique<RecipeService>(); },
};

// A type that listens nowhere (a sender): no socket unit.
extern const ServiceSpec kQuietSpec{
    .title = "quiet",
    .standard_port = 0,
    .tcp = false,
    .udp = false,
    .make = [](const InstanceConfig&,
               StatusRenderer&) -> std::unique_ptr<Service> { return std::make_unique<RecipeService>(); },
};

}  // namespace smalld
EOF
# ... and one row (two, for the two types) after the catalogue's last.
python3 - "$src/daemon/services/service_types.h" <<'EOF'
import re, sys
path = sys.argv[1]
text = open(path).read()
rows = list(re.finditer(r"^( *X\(\w+, [\w-]+\))[ \t]*$", text, re.M))
assert rows, "no last row in " + path
last = rows[-1]
text = (text[:last.start()] + last.group(1) + " \\\n    X(Recipe, recipe) \\\n    X(Quiet, quiet)" +
        text[last.end():])
open(path, "w").write(text)
EOF
changed=$(cd "$src" && find . -newer "$WORK/copied" -type f | sed 's|^\./||'  | sort)
[ "$changed" = "daemon/services/service_recipe.cpp
daemon/services/service_types.h" ] || fail "the recipe touched more than one file and one row: $changed"
ok "the recipe: daemon/services/service_recipe.cpp and a row in service_types.h"

# Compile what the row changes with this build's own flags, the scratch copy's
# folders first on the include path.
mkdir -p "$WORK/obj"
python3 - "$build/compile_commands.json" "$SMALLD_SOURCE_DIR" "$src" "$WORK/obj" >"$WORK/compile.sh" <<'EOF'
import json, shlex, sys
db, source, scratch, obj = sys.argv[1:]
entry = next(e for e in json.load(open(db))
             if e["file"].endswith("/daemon/services/service_registry.cpp"))
command = entry["command"].replace(source + "/daemon", scratch + "/daemon")
for name in ("service_registry", "service_recipe"):
    words = shlex.split(command)
    out = words.index("-o")
    words[out + 1] = f"{obj}/{name}.o"
    words[-1] = f"{scratch}/daemon/services/{name}.cpp"
    print("cd " + shlex.quote(entry["directory"]) + " && " + shlex.join(words))
EOF
bash -e "$WORK/compile.sh" || fail "the new type does not compile"
# Link smalld and smalld-units as this build does, with the new objects first.
link() {  # TARGET OUTPUT
  local line
  line=$(cat "$build/daemon/CMakeFiles/$1.dir/link.txt")
  [[ $line == *" -o $1 "* ]] || fail "no '-o $1' in $1's link command: $line"
  line=${line/" -o $1 "/" $WORK/obj/service_registry.o $WORK/obj/service_recipe.o -o $2 "}
  (cd "$build/daemon" && eval "$line") || fail "linking $1 with the new type failed"
}
link smalld "$WORK/smalld"
link smalld-units "$WORK/smalld-units"
ok "smalld and smalld-units build with the new type"

# Configurable: a section of the type, with a common key; another named so by type.
printf '[recipe]\nrate = 10/s\n[other]\ntype = recipe\ntcp = 127.0.0.1:0\n' >"$WORK/recipe.ini"
out=$("$WORK/smalld" -t -c "$WORK/recipe.ini" 2>&1) || fail "smalld -t refuses the new type: $out"
ok "smalld -t accepts [recipe] and type = recipe"
dump=$("$WORK/smalld" -T -c "$WORK/recipe.ini" 2>&1) || fail "smalld -T failed: $dump"
grep -q "0\.0\.0\.0:4999" <<<"$dump" || fail "smalld -T does not show the type's default listeners: $dump"
ok "smalld -T: [recipe] on its standard port 4999"
# The generated lists: the unknown-type error and the type key's help.
printf '[x]\ntype = nosuch\n' >"$WORK/bad.ini"
out=$("$WORK/smalld" -t -c "$WORK/bad.ini" 2>&1) && fail "smalld -t accepted type = nosuch"
grep -q ", recipe or quiet" <<<"$out" || fail "the type list lacks the new types: $out"
ok "the unknown-type error lists the new types"

# The socket units, from the scratch copy's shipped configuration.
"$WORK/smalld-units" "$src/etc/smalld.ini" status "$WORK/units" || fail "smalld-units failed"
unit=$WORK/units/smalld-recipe.socket
[ -f "$unit" ] || fail "no smalld-recipe.socket: $(ls "$WORK/units")"
for line in "Description=smalld recipe sockets (RFC 0)" "ListenStream=0.0.0.0:4999" \
            "ListenStream=[::]:4999" "ListenDatagram=0.0.0.0:4999" "ListenDatagram=[::]:4999" \
            "FileDescriptorName=recipe" "Service=smalld.service" "PartOf=smalld.socket"; do
  grep -qxF "$line" "$unit" || fail "smalld-recipe.socket lacks $line"
done
for line in Wants=smalld-recipe.socket Also=smalld-recipe.socket; do
  grep -qxF "$line" "$WORK/units/smalld.socket" || fail "smalld.socket lacks $line"
done
[ ! -e "$WORK/units/smalld-quiet.socket" ] || fail "a type that listens nowhere got a socket unit"
grep -qxF smalld-recipe.socket "$WORK/units/socket-units.txt" || fail "socket-units.txt lacks the unit"
ok "smalld-recipe.socket generated and pulled in by smalld.socket; none for quiet"
# Installed: the install rule takes every smalld*.socket of the units'
# folder, and the Debian scripts name each unit of the list.
grep -q 'PATTERN "smalld\*.socket"' "$src/cmake/install.cmake" || fail "install.cmake lists units by hand"
cmake -DSOCKET_LIST="$WORK/units/socket-units.txt" -DSOURCE_DIR="$src/cmake/deb" \
  -DOUTPUT_DIR="$WORK/deb" -DSMALLD_CONFIG_DIR=/etc/smalld -P "$src/cmake/deb_scripts.cmake" ||
  fail "the Debian scripts were not written"
for script in postinst prerm postrm; do
  grep -q "smalld-recipe\.socket" "$WORK/deb/$script" || fail "$script does not name smalld-recipe.socket"
done
ok "installed by the pattern rule; the Debian scripts name it"
echo "service_recipe: passed"
