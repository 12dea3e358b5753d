#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The bash completion scripts in completions/, driven as bash drives them
# (complete -p names the function; COMP_WORDS split at COMP_WORDBREAKS), with
# bash-completion's helpers loaded: options, commands and modes from the
# programs themselves, and session ids and listener addresses from a running
# smalld.
source "$(dirname "$0")/lib.sh"
BASH_COMPLETION=${BASH_COMPLETION:-/usr/share/bash-completion/bash_completion}
[ -r "$BASH_COMPLETION" ] || skip "bash-completion is not installed (tools/deps --test)"
command -v python3 >/dev/null || skip "python3 not available"

# The programs as a user's PATH has them. smallctl's default socket is the
# one in $DEFAULT_SOCKET, as if the build had been configured with it.
mkdir -p "$WORK/bin"
ln -s "$SMALLD_BIN" "$WORK/bin/smalld"
ln -s "$SMALLPROBE_BIN" "$WORK/bin/smallprobe"
printf '#!/bin/sh\nexec "%s" -s "$DEFAULT_SOCKET" "$@"\n' "$SMALLCTL_BIN" >"$WORK/bin/smallctl"
chmod +x "$WORK/bin/smallctl"
export DEFAULT_SOCKET=$WORK/nothing-here.sock

# candidates LINE: what TAB offers at the end of LINE, sorted, one per line.
candidates() {
  PATH=$WORK/bin:$PATH timeout 60 bash -c '
    source "$1"
    for f in smalld smallctl smallprobe; do source "$2/completions/$f"; done
    COMP_LINE=$3 COMP_POINT=${#3} COMP_TYPE=9 COMP_KEY=9
    # Split as readline does: at blanks, and around the word-break characters.
    COMP_WORDS=() word=""
    for ((i = 0; i < ${#3}; i++)); do
      c=${3:i:1}
      if [[ $c == [[:blank:]] ]]; then
        [[ -n $word ]] && COMP_WORDS+=("$word"); word=""
      elif [[ $COMP_WORDBREAKS == *"$c"* ]]; then
        [[ -n $word ]] && COMP_WORDS+=("$word"); COMP_WORDS+=("$c"); word=""
      else
        word+=$c
      fi
    done
    COMP_WORDS+=("$word")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    spec=$(complete -p "${COMP_WORDS[0]}") || { echo "no completion for ${COMP_WORDS[0]}"; exit 1; }
    [[ $spec =~ -F\ ([^ ]+) ]] || { echo "not a function: $spec"; exit 1; }
    "${BASH_REMATCH[1]}" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
    printf "%s\n" "${COMPREPLY[@]}" | sort
  ' completion "$BASH_COMPLETION" "$SMALLD_SOURCE_DIR" "$1"
}

# expect_candidates LINE EXPECTED...: exactly these candidates.
expect_candidates() {
  local line=$1 got want
  shift
  got=$(candidates "$line") || fail "completing \"$line\": $got"
  want=$(printf '%s\n' "$@" | sed '/^$/d' | sort)
  [ "$got" = "$want" ] || fail "completing \"$line\": got [$(echo $got)], expected [$(echo $want)]"
  ok "\"$line<TAB>\" -> $(echo $got)"
}

# expect_including LINE EXPECTED...: at least these candidates.
expect_including() {
  local line=$1 got w
  shift
  got=$(candidates "$line") || fail "completing \"$line\": $got"
  for w in "$@"; do
    grep -qxF -- "$w" <<<"$got" || fail "completing \"$line\": no \"$w\" among [$(echo $got)]"
  done
  ok "\"$line<TAB>\" offers $*"
}

config_head >"$WORK/smalld.ini"
cat >>"$WORK/smalld.ini" <<INI
[echo]
tcp = 127.0.0.1:0
udp = 127.0.0.1:0
[echo-lab]
type = echo
tcp = 127.0.0.1:0
[daytime]
tcp = 127.0.0.1:0
INI

# --- smalld ---------------------------------------------------------------
expect_including "smalld --" --config --check --log-level --version --help
expect_candidates "smalld --log-level " error warning notice info debug
expect_candidates "smalld --log-level=de" debug
expect_candidates "smalld -l i" info
expect_candidates "smalld -c $WORK/smalld." "$WORK/smalld.ini"

# --- smallctl, no daemon ----------------------------------------------------
expect_candidates "smallctl " status stats metrics listeners conns peers conn reload log-level monitor top help
expect_candidates "smallctl pe" peers
expect_candidates "smallctl -j pe" peers
expect_candidates "smallctl st" status stats
expect_candidates "smallctl stats " reset
expect_candidates "smallctl conn " kill
expect_candidates "smallctl -j conn " kill
expect_candidates "smallctl log-level " error warning notice info debug
expect_candidates "smallctl help " status stats metrics listeners conns peers conn reload log-level monitor top help
expect_candidates "smallctl help conn " kill
expect_candidates "smallctl status "
expect_including "smallctl --" --socket --json --version --help
expect_candidates "smallctl --socket $WORK/smalld." "$WORK/smalld.ini"
expect_candidates "smallctl conn kill "   # nothing runs on the default socket

# --- with a daemon and two live sessions ------------------------------------
start_daemon
echo_port=$(port echo tcp)
echo_udp_port=$(port echo udp)
lab_port=$(port echo-lab tcp)
daytime_port=$(port daytime tcp)
exec 3<>"/dev/tcp/127.0.0.1/$echo_port" 4<>"/dev/tcp/127.0.0.1/$lab_port"
ids=()
for _ in $(seq 300); do  # 30 s for the daemon to accept both
  mapfile -t ids < <("$SMALLCTL_BIN" -s "$CONTROL_SOCKET" -j conns | python3 -c '
import json, sys
for s in json.load(sys.stdin)["data"]: print(s["id"])')
  [ ${#ids[@]} = 2 ] && break
  sleep 0.1
done
[ ${#ids[@]} = 2 ] || fail "expected 2 sessions in smallctl conns, got ${#ids[@]}"
expect_candidates "smallctl --socket=$CONTROL_SOCKET conn kill " "${ids[@]}"
expect_candidates "smallctl -s $CONTROL_SOCKET -j conn kill " "${ids[@]}"
expect_candidates "smallctl --socket $CONTROL_SOCKET conn kill ${ids[0]:0:1}" \
  $(printf '%s\n' "${ids[@]}" | grep "^${ids[0]:0:1}")

# --- smallprobe, with smallctl's default socket now the daemon's -------------
export DEFAULT_SOCKET=$CONTROL_SOCKET
expect_including "smallprobe " echo line discard chargen time daytime qotd status connect idle slowread
expect_including "smallprobe --con" --connections
expect_including "smallprobe echo --" --udp --count --duration --json --server-pid
# stamp's options are its own (-u is its unit there), and their values.
expect_including "smallprobe stamp --" --unit --histogram --samples --samples-format --key-file
expect_candidates "smallprobe stamp -u " us ms s
expect_candidates "smallprobe echo --unit " us ms s
expect_candidates "smallprobe stamp --samples-format " csv jsonl
expect_candidates "smallprobe echo " "127.0.0.1:$echo_port" "127.0.0.1:$lab_port"
expect_candidates "smallprobe -c 4 echo -u " "127.0.0.1:$echo_udp_port"
expect_candidates "smallprobe echo --udp " "127.0.0.1:$echo_udp_port"
expect_candidates "smallprobe -ju echo " "127.0.0.1:$echo_udp_port"
expect_candidates "smallprobe daytime -c 5 " "127.0.0.1:$daytime_port"
expect_candidates "smallprobe connect -n 3 " \
  "127.0.0.1:$echo_port" "127.0.0.1:$lab_port" "127.0.0.1:$daytime_port"
expect_candidates "smallprobe time "   # no time instance
# After the colon readline keeps the host: only the port is offered.
expect_candidates "smallprobe daytime 127.0.0.1:" "$daytime_port"
exec 3>&- 4>&-
echo "completion: passed"
