// SPDX-License-Identifier: BSD-2-Clause
#include "parse.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace smalld {

namespace {
std::string quoted(std::string_view text) {
    return "\"" + std::string(text) + "\"";
}
}  // namespace

std::string_view trim(std::string_view text) {
    const char* space = " \t\r\n";
    auto begin = text.find_first_not_of(space);
    if (begin == std::string_view::npos) return {};
    auto end = text.find_last_not_of(space);
    return text.substr(begin, end - begin + 1);
}

std::vector<std::string_view> split_list(std::string_view text) {
    std::vector<std::string_view> items;
    if (trim(text).empty()) return items;
    size_t start = 0;
    while (true) {
        auto comma = text.find(',', start);
        items.push_back(trim(text.substr(start, comma - start)));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return items;
}

std::optional<uint64_t> parse_uint(std::string_view text, uint64_t min, uint64_t max,
                                   std::string* error) {
    uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < min ||
        value > max) {
        *error = "expected a whole number from " + std::to_string(min) + " to " +
                 std::to_string(max) + ", got " + quoted(text);
        return std::nullopt;
    }
    return value;
}

std::optional<int64_t> parse_int(std::string_view text, int64_t min, int64_t max,
                                 std::string* error) {
    int64_t value = 0;
    std::string_view digits = text;
    if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() ||
        value < min || value > max) {
        *error = "expected a whole number from " + std::to_string(min) + " to " +
                 std::to_string(max) + ", got " + quoted(text);
        return std::nullopt;
    }
    return value;
}

std::optional<double> parse_double(std::string_view text, double min, double max,
                                   std::string* error) {
    std::string copy(text);
    char* end = nullptr;
    double value = copy.empty() ? NAN : strtod(copy.c_str(), &end);
    if (copy.empty() || end != copy.c_str() + copy.size() || !std::isfinite(value) || value < min ||
        value > max) {
        char range[64];
        snprintf(range, sizeof range, "%g to %g", min, max);
        *error = std::string("expected a number from ") + range + ", got " + quoted(text);
        return std::nullopt;
    }
    return value;
}

std::optional<Duration> parse_duration(std::string_view text, std::string* error) {
    if (text == "0") return Duration{0};
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    std::string_view unit = text.substr(digits);
    uint64_t scale = 0;
    if (unit == "ms")
        scale = 1;
    else if (unit == "s")
        scale = 1000;
    else if (unit == "m")
        scale = 60'000;
    else if (unit == "h")
        scale = 3'600'000;
    uint64_t number = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, number);
    // A week is more than any timeout here needs. Compare before multiplying:
    // 18446744073709552s would otherwise wrap to 384ms and pass.
    constexpr uint64_t kWeekMs = 7ULL * 24 * 3'600'000;
    if (digits == 0 || scale == 0 || ec != std::errc() || ptr != text.data() + digits ||
        number > kWeekMs / scale) {
        *error = "expected a duration such as 500ms, 60s, 5m or 1h (at most a week), got " +
                 quoted(text);
        return std::nullopt;
    }
    return Duration{static_cast<int64_t>(number * scale)};
}

std::optional<Rate> parse_rate(std::string_view text, std::string* error) {
    auto slash = text.find('/');
    std::string ignored;
    std::optional<uint64_t> number;
    if (slash != std::string_view::npos && text.substr(slash) == "/s")
        number = parse_uint(text.substr(0, slash), 0, 10'000'000, &ignored);
    if (!number) {
        *error = "expected a rate such as 50/s (0/s: unlimited), got " + quoted(text);
        return std::nullopt;
    }
    Rate rate;
    rate.per_second = static_cast<double>(*number);
    rate.burst = static_cast<double>(*number);
    return rate;
}

std::string expected_one_of(const std::vector<std::string_view>& words, std::string_view text) {
    std::string list;
    for (size_t i = 0; i < words.size(); ++i) {
        if (i > 0) list += i + 1 == words.size() ? " or " : ", ";
        list += words[i];
    }
    return "expected " + list + ", got " + quoted(text);
}

std::optional<LogLevel> parse_log_level(std::string_view text, std::string* error) {
    return parse_keyword(text, log_levels(), error);
}

std::optional<bool> parse_bool(std::string_view text, std::string* error) {
    for (auto yes : {"yes", "true", "on", "1"})
        if (text == yes) return true;
    for (auto no : {"no", "false", "off", "0"})
        if (text == no) return false;
    *error = "expected yes or no, got " + quoted(text);
    return std::nullopt;
}

std::optional<unsigned> parse_mode(std::string_view text, std::string* error) {
    unsigned value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 8);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value > 0777) {
        *error = "expected an octal file mode such as 0660, got " + quoted(text);
        return std::nullopt;
    }
    return value;
}

// "64k", "1m", or plain bytes.
std::optional<uint64_t> parse_size(std::string_view text, uint64_t min, uint64_t max,
                                   std::string* error) {
    uint64_t scale = 1;
    std::string_view digits = text;
    if (!text.empty() && (text.back() == 'k' || text.back() == 'K'))
        scale = 1024;
    else if (!text.empty() && (text.back() == 'm' || text.back() == 'M'))
        scale = 1024 * 1024;
    if (scale != 1) digits.remove_suffix(1);
    std::string ignored;
    auto n = parse_uint(digits, 0, max / scale, &ignored);
    if (!n || *n * scale < min) {
        *error = "expected a size from " + std::to_string(min / 1024) + "k to " +
                 std::to_string(max / (1024 * 1024)) +
                 "m (bytes, or with a k or m suffix), got \"" + std::string(text) + "\"";
        return std::nullopt;
    }
    return *n * scale;
}

}  // namespace smalld
