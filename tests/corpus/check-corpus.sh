#!/bin/sh
# Checks `smalld -t` against the corpus: every file in bad/ must fail with exit
# 78 and report each "; expect: LINE: TEXT" comment as "FILE:LINE: TEXT..."
# (LINE 0: "FILE: TEXT...", an error about the file as a whole);
# every file in good/ must pass with "configuration OK".
set -u
smalld=$1
dir=$2
failures=0
checked=0
for file in "$dir"/bad/*.ini; do
    checked=$((checked + 1))
    out=$("$smalld" -t -c "$file" 2>&1)
    rc=$?
    if [ "$rc" -ne 78 ]; then
        echo "FAIL $file: exit $rc, expected 78"; failures=$((failures + 1)); continue
    fi
    expected=$(grep -c '^; expect: ' "$file")
    if [ "$expected" -eq 0 ]; then
        echo "FAIL $file: no '; expect:' line"; failures=$((failures + 1)); continue
    fi
    grep '^; expect: ' "$file" | sed 's/^; expect: //' | while IFS= read -r want; do
        line=${want%%:*}
        text=${want#*: }
        where="$file:$line"
        [ "$line" = 0 ] && where=$file  # the file as a whole
        if ! printf '%s\n' "$out" | grep -qF -- "$where: $text"; then
            echo "FAIL $file: missing \"$where: $text\" in:"; printf '%s\n' "$out"
            exit 1
        fi
    done || failures=$((failures + 1))
    errors=$(printf '%s\n' "$out" | grep -c "^$file:")
    if [ "$errors" -ne "$expected" ]; then
        echo "FAIL $file: $errors errors reported, $expected expected:"; printf '%s\n' "$out"
        failures=$((failures + 1))
    fi
done
for file in "$dir"/good/*.ini; do
    checked=$((checked + 1))
    out=$("$smalld" -t -c "$file" 2>&1)
    if [ $? -ne 0 ] || [ "$out" != "configuration OK" ]; then
        echo "FAIL $file: expected configuration OK, got: $out"; failures=$((failures + 1))
    fi
done
echo "$((checked - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
