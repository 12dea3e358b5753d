// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// smallctl's view of the daemon's commands, and how abbreviations resolve.
//
// Rule: for each word, an exact match wins; otherwise the word must be a
// prefix of exactly one command word that may be abbreviated that far.
// `stats`, `conn` and `conns` are never abbreviated and `status` no shorter
// than `sta`, so `sta`, `stat` and `statu` mean status while `s`, `st` and
// `con` are ambiguous. Every other word may be cut to any unique prefix:
// `li`, `lo`, `mo`, `me`, `r`; `stats r` is stats reset, `conn k` conn kill.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control_protocol.h"

namespace smallctl {

struct Command {
    std::string_view name;  // as the daemon spells it: "conn kill"
    size_t min_args;
    size_t max_args;
    std::string_view usage;    // "conn kill ID"
    std::string_view help;     // one line, for the summary
    std::string_view details;  // what `smallctl help COMMAND` adds
    // The protocol's row (control_protocol.h); nullptr: smallctl's own (help, top).
    const smalld::control_protocol::CommandSpec* spec = nullptr;

    bool admin() const { return spec && spec->level == smalld::control_protocol::Level::Admin; }
};

// The daemon's commands, in the protocol's order: names, arguments and
// levels from control_protocol.h, the help text here.
const std::vector<Command>& commands();

// `help`, which smallctl answers itself without a daemon.
const Command& help_command();

// `top`, which smallctl builds from repeated `stats` requests.
const Command& top_command();

struct Resolved {
    const Command* command = nullptr;  // nullptr: `error` says why (a usage error)
    std::vector<std::string> args;
    std::string error;
};

// Resolves the words after the options: {"sta"} -> status,
// {"conn", "k", "42"} -> conn kill with args {"42"}, {"he", "conns"} -> help
// with args {"conns"}.
Resolved resolve(const std::vector<std::string>& words);

// What `smallctl -h` and `smallctl help` print: options and commands.
std::string usage_summary();

// `smallctl help WORDS`: the summary for no words, otherwise every command
// the words name (abbreviated as commands are): its usage, what it does and
// who may run it. nullopt, with *error set, when they name none.
std::optional<std::string> help_text(const std::vector<std::string>& words, std::string* error);

// How short `word` may be abbreviated (its full length: never).
size_t shortest_abbreviation(std::string_view word);

// Resolves one word among `candidates`; sets *error when it cannot.
std::string resolve_word(std::string_view word, const std::vector<std::string>& candidates,
                         std::string* error);

// -t SECONDS in milliseconds (1 ms to an hour; "0.5" is 500), or 0 when it
// is not such a number.
int parse_timeout_ms(const char* text);
// How long `monitor` waits for a line: the timeout, but never less than two
// of smalld's 15 s keep-alive periods, so a quiet daemon is not taken for a
// stuck one.
int monitor_silence_ms(int timeout_ms);

}  // namespace smallctl
