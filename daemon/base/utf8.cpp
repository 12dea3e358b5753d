// SPDX-License-Identifier: BSD-2-Clause
#include "utf8.h"

#include <algorithm>
#include <cstdint>

namespace smalld {

namespace {

// The length of the valid UTF-8 sequence that starts at text[at], or 0.
size_t sequence_length(std::string_view text, size_t at) {
    auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char c = byte(at);
    if (c < 0x80) return 1;
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (at + n >= text.size()) return 0;
    for (size_t k = 1; k <= n; ++k) {
        unsigned char cc = byte(at + k);
        if ((cc & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n + 1;
}

void append_hex(std::string& out, unsigned char c) {
    static constexpr char kDigits[] = "0123456789abcdef";
    out += "\\x";
    out += kDigits[c >> 4];
    out += kDigits[c & 0xF];
}

void append_escaped(std::string& out, std::string_view text, bool controls) {
    for (size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        size_t n = sequence_length(text, i);
        if (n == 0 || (controls && ((c < 0x20 && c != '\t') || c == 0x7F))) {
            append_hex(out, c);
            ++i;
            continue;
        }
        out.append(text.substr(i, n));
        i += n;
    }
}

}  // namespace

bool valid_utf8(std::string_view text) {
    for (size_t i = 0; i < text.size();) {
        size_t n = sequence_length(text, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::string escape_invalid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    append_escaped(out, text, false);
    return out;
}

std::string escape_unprintable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    append_escaped(out, text, true);
    return out;
}

void append_unprintable(std::string& out, std::string_view text) {
    append_escaped(out, text, true);
}

std::string escape_unprintable_lines(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t at = 0; at < text.size();) {
        size_t end = std::min(text.find('\n', at), text.size());
        append_escaped(out, text.substr(at, end - at), true);
        if (end < text.size()) out += '\n';
        at = end + 1;
    }
    return out;
}

}  // namespace smalld
