// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The control protocol's requests, as pure functions: framing bytes into
// lines (bounded, with oversized lines discarded up to the next newline) and
// turning a line into command words. No sockets here; tests and fuzzers drive
// it directly.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "utf8.h"  // valid_utf8

namespace smalld {

// Longest request line accepted, without its newline.
static constexpr size_t kMaxRequestLine = 4096;

// Splits a byte stream into lines. A line longer than the limit is reported
// once, as soon as it exceeds the limit, and its remaining bytes are dropped
// up to and including the next newline.
class LineReader {
  public:
    explicit LineReader(size_t max_line = kMaxRequestLine) : max_line_(max_line) {}

    struct Item {
        bool too_long = false;
        std::string_view line;  // without "\n" or "\r\n"; empty when too_long
    };
    // Calls `on_item` for every complete line (or overflow) found in `data`.
    // Returning false from `on_item` stops the reader; the rest of `data` stays
    // unread and is returned as the count of bytes consumed.
    size_t feed(std::string_view data, const std::function<bool(const Item&)>& on_item);
    // True while an unfinished line (or the tail of an oversized one) is pending.
    bool partial() const { return discarding_ || !pending_.empty(); }

  private:
    size_t max_line_;
    std::string pending_;
    bool discarding_ = false;
};

// A request: command words ("conn", "kill", "42").
struct ControlRequest {
    std::vector<std::string> words;
};

struct ParsedRequest {
    std::optional<ControlRequest> request;  // nullopt: error is set
    std::string error;
    bool empty = false;  // a blank line: no request, no reply
};

// A line is either words separated by blanks ("conn kill 42") or a JSON
// object {"command":"conn kill","args":["42"]}; args are optional and may be
// strings or integers. Both forms mean split(command) followed by args.
ParsedRequest parse_request(std::string_view line);

}  // namespace smalld
