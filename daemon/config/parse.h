// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Parsers for configuration values. Each returns nullopt and sets *error to a
// message that says what was expected and what was found.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "keyword.h"

namespace smalld {

std::string_view trim(std::string_view text);
// Splits on commas, trimming each item; an empty or blank text is an empty list.
std::vector<std::string_view> split_list(std::string_view text);

// "500ms", "60s", "5m", "1h"; a bare "0" is zero.
std::optional<Duration> parse_duration(std::string_view text, std::string* error);
// "50/s"; "0/s" is unlimited. The bucket holds one second of tokens.
std::optional<Rate> parse_rate(std::string_view text, std::string* error);
std::optional<bool> parse_bool(std::string_view text, std::string* error);
std::optional<uint64_t> parse_uint(std::string_view text, uint64_t min, uint64_t max,
                                   std::string* error);
// A size in bytes, "64k" or "1m", from `min` to `max`.
std::optional<uint64_t> parse_size(std::string_view text, uint64_t min, uint64_t max,
                                   std::string* error);
std::optional<int64_t> parse_int(std::string_view text, int64_t min, int64_t max,
                                 std::string* error);
std::optional<double> parse_double(std::string_view text, double min, double max,
                                   std::string* error);
// Octal file mode such as 0660.
std::optional<unsigned> parse_mode(std::string_view text, std::string* error);

// A log level by its name (error, warning, notice, info, debug), for the
// key, the command line and the control command alike.
std::optional<LogLevel> parse_log_level(std::string_view text, std::string* error);

// "expected a, b or c, got \"text\"" for a value that is none of the words.
std::string expected_one_of(const std::vector<std::string_view>& words, std::string_view text);
// A value that must be one of a few words (keyword.h): what the word stands
// for, or nullopt and that message.
template <typename T>
std::optional<T> parse_keyword(std::string_view text, std::span<const Keyword<T>> words,
                               std::string* error) {
    std::vector<std::string_view> names;
    for (const auto& k : words) {
        if (text == k.word) return k.value;
        names.push_back(k.word);
    }
    *error = expected_one_of(names, text);
    return std::nullopt;
}
template <typename T>
std::optional<T> parse_keyword(std::string_view text, std::initializer_list<Keyword<T>> words,
                               std::string* error) {
    return parse_keyword(text, std::span(words.begin(), words.size()), error);
}

}  // namespace smalld
