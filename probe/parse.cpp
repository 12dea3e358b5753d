// SPDX-License-Identifier: BSD-2-Clause
#include "parse.h"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <limits>

#include "clock.h"

namespace smallprobe {
namespace {

// Splits "123abc" into the number 123 and the suffix "abc".
bool split_number(std::string_view text, uint64_t* number, std::string_view* suffix) {
    const char* first = text.data();
    const char* last = text.data() + text.size();
    auto [end, ec] = std::from_chars(first, last, *number);
    if (ec != std::errc() || end == first) return false;
    *suffix = std::string_view(end, static_cast<size_t>(last - end));
    return true;
}

// A suffix a number may carry and what it multiplies the number by.
struct UnitFactor {
    std::string_view unit;
    uint64_t factor;
};
constexpr UnitFactor kDurationUnits[] = {{"", kNsPerSec},       {"s", kNsPerSec},
                                         {"ms", 1000000},       {"us", 1000},
                                         {"m", 60 * kNsPerSec}, {"h", 3600 * kNsPerSec}};
constexpr UnitFactor kSizeUnits[] = {
    {"", 1},       {"B", 1},           {"k", 1024},         {"K", 1024},
    {"KiB", 1024}, {"M", 1024 * 1024}, {"MiB", 1024 * 1024}};
constexpr UnitFactor kCountUnits[] = {{"", 1}, {"k", 1000}, {"M", 1000000}};

// The number in `text` times its suffix's factor; nothing for garbage, a
// suffix not in `units`, or overflow.
template <size_t N>
std::optional<uint64_t> scaled(std::string_view text, const UnitFactor (&units)[N]) {
    uint64_t number = 0;
    std::string_view suffix;
    if (!split_number(text, &number, &suffix)) return std::nullopt;
    for (const UnitFactor& u : units) {
        if (u.unit != suffix) continue;
        if (number > std::numeric_limits<uint64_t>::max() / u.factor) return std::nullopt;
        return number * u.factor;
    }
    return std::nullopt;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<uint64_t> parse_duration_ns(std::string_view text) {
    auto ns = scaled(text, kDurationUnits);
    if (!ns || *ns == 0) return std::nullopt;
    return ns;
}

std::optional<uint64_t> parse_size(std::string_view text) {
    return scaled(text, kSizeUnits);
}

std::optional<uint64_t> parse_count(std::string_view text) {
    return scaled(text, kCountUnits);
}

// A template's one-letter escapes; \xHH is the other.
struct Escape {
    char letter;
    char byte;
};
constexpr Escape kEscapes[] = {{'r', '\r'}, {'n', '\n'}, {'t', '\t'}, {'0', '\0'}, {'\\', '\\'}};

std::optional<std::string> parse_template(std::string_view text, std::string* error) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out.push_back(text[i]);
            continue;
        }
        if (++i == text.size()) {
            *error = "template ends inside an escape";
            return std::nullopt;
        }
        if (text[i] == 'x') {
            int hi = i + 1 < text.size() ? hex_digit(text[i + 1]) : -1;
            int lo = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                *error = "\\x needs two hex digits";
                return std::nullopt;
            }
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
            continue;
        }
        const auto* escape = std::find_if(std::begin(kEscapes), std::end(kEscapes),
                                          [&](const Escape& e) { return e.letter == text[i]; });
        if (escape == std::end(kEscapes)) {
            *error = std::string("unknown escape \\") + text[i];
            return std::nullopt;
        }
        out.push_back(escape->byte);
    }
    if (out.empty()) {
        *error = "template is empty";
        return std::nullopt;
    }
    return out;
}

std::optional<HostPort> split_host_port(std::string_view text) {
    HostPort result;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        size_t close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return std::nullopt;
        result.host = std::string(text.substr(1, close - 1));
        port = text.substr(close + 2);
    } else {
        size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) return std::nullopt;
        result.host = std::string(text.substr(0, colon));
        if (result.host.find(':') != std::string::npos) return std::nullopt;  // v6 needs brackets
        port = text.substr(colon + 1);
    }
    uint64_t number = 0;
    std::string_view rest;
    if (result.host.empty() || !split_number(port, &number, &rest) || !rest.empty() ||
        number == 0 || number > 65535)
        return std::nullopt;
    result.port = std::string(port);
    return result;
}

}  // namespace smallprobe
