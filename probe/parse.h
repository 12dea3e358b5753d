// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Pure parsers for command-line values. No I/O, so the unit tests cover them
// without sockets.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace smallprobe {

// "10s", "500ms", "250us", "2m", "1h"; a bare number means seconds.
// Returns nanoseconds, or nullopt for garbage, zero or overflow.
std::optional<uint64_t> parse_duration_ns(std::string_view text);

// "64", "16k", "16KiB", "1M", "1MiB" (binary multiples). Returns bytes.
std::optional<uint64_t> parse_size(std::string_view text);

// A plain count with an optional decimal suffix: "1000", "10k", "2M".
std::optional<uint64_t> parse_count(std::string_view text);

// Expands \r \n \t \0 \\ and \xHH in a request template. Returns nullopt and
// sets *error for an unknown or truncated escape, or an empty result.
std::optional<std::string> parse_template(std::string_view text, std::string* error);

// Splits "HOST:PORT" / "[V6]:PORT" into host and port. No name lookup.
struct HostPort {
    std::string host;
    std::string port;
};
std::optional<HostPort> split_host_port(std::string_view text);

}  // namespace smallprobe
