// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Text that leaves the daemon (JSON, the log, the status report) is UTF-8.
// Strings that someone else controls (config values, paths, file contents,
// request words) may hold any bytes; these functions say so and make them
// safe to show, writing each offending byte as \xHH, the way nginx and
// systemd show bytes they cannot print.

#include <string>
#include <string_view>

namespace smalld {

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view text);

// `text` with every byte that does not belong to a valid UTF-8 sequence
// written as \xHH; valid text comes back unchanged.
std::string escape_invalid_utf8(std::string_view text);

// Same, and control characters too (all of C0 but tab, and DEL): text that
// cannot break a log line or drive a terminal.
std::string escape_unprintable(std::string_view text);
void append_unprintable(std::string& out, std::string_view text);

// Same, line by line: newlines are kept, so that text of several lines (a
// table, a report) stays readable while nothing in it can drive a terminal.
// What smallctl prints and `smalld -T` use.
std::string escape_unprintable_lines(std::string_view text);

}  // namespace smalld
