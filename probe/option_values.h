// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The option values both command lines take (the modes' in options.cpp and
// stamp's in stamp_options.cpp), parsed with one wording for their errors.
// Each returns false (or nothing) with *error set when the value is out of
// range.

#include <getopt.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "stamp_format.h"

namespace smallprobe {

// Sets *error and returns false, so a check reads `return fail(error, ...)`.
bool fail(std::string* error, const std::string& message);

// What a numeric option accepts: `least` to `most`, worded as `expected` in
// the error ("-c: expected 1..1000000 connections, got \"0\"").
struct ValueRange {
    const char* flag;
    uint64_t least;
    uint64_t most;
    const char* expected;
};
// A count ("1000", "10k") or a size ("64", "16k") within `range`; nothing,
// with *error set, for anything else.
std::optional<uint64_t> parse_count_in(const ValueRange& range, const std::string& value,
                                       std::string* error);
std::optional<uint64_t> parse_size_in(const ValueRange& range, const std::string& value,
                                      std::string* error);
// Stores what one of those parsed, so an option reads
// `return store(parse_count_in({...}, value, error), &o->field);`.
template <typename T>
bool store(std::optional<uint64_t> value, T* out) {
    if (!value) return false;
    *out = static_cast<T>(*value);
    return true;
}

// -n: a positive count.
bool parse_count_option(const std::string& value, uint64_t* count, std::string* error);
// -d and -w: a duration such as 10s or 500ms. `flag` and `what` name them in
// the error ("-w", "a timeout").
bool parse_duration_option(const char* flag, const char* what, const std::string& value,
                           uint64_t* ns, std::string* error);
// --max-loss: a percentage from 0 to 100 (0, 0.5, 2%).
bool parse_max_loss_option(const std::string& value, double* pct, std::string* error);
// --server-pid: a process id.
bool parse_server_pid_option(const std::string& value, int* pid, std::string* error);
// --unit (stamp: -u): us, ms or s.
bool parse_unit_option(const char* flag, const std::string& value, Unit* unit, std::string* error);

// An option that takes no value and sets one field of the options.
template <typename Options>
struct FlagOption {
    int letter;
    bool Options::*field;
    bool value;
};
// Sets the field of the flag `letter` names; false when it names none.
template <typename Options, size_t N>
bool set_flag(const FlagOption<Options> (&flags)[N], int letter, Options* o) {
    for (const FlagOption<Options>& flag : flags) {
        if (flag.letter != letter) continue;
        o->*flag.field = flag.value;
        return true;
    }
    return false;
}

// What getopt_long's '?' or ':' meant: the option it did not know or that
// lacked its value.
std::string getopt_failure(char** argv);

// How a run of options ended.
enum class OptionsRead { Done, Help, Version, Error };
// Reads options with getopt_long from argv[optind] until it stops (at an
// operand when `shorts` starts with "+", after "--", or at the end) and
// hands each to apply(letter, value, error). -h and -V end the run as Help
// and Version; an option getopt does not know or that lacks its value, or
// one apply refuses, as Error with *error set.
template <typename Apply>
OptionsRead read_options(int argc, char** argv, const char* shorts, const option* longs,
                         std::string* error, Apply&& apply) {
    int letter = 0;
    while ((letter = getopt_long(argc, argv, shorts, longs, nullptr)) != -1) {
        if (letter == 'h') return OptionsRead::Help;
        if (letter == 'V') return OptionsRead::Version;
        if (letter == '?' || letter == ':') {
            *error = getopt_failure(argv);
            return OptionsRead::Error;
        }
        if (!apply(letter, optarg, error)) return OptionsRead::Error;
    }
    return OptionsRead::Done;
}

}  // namespace smallprobe
