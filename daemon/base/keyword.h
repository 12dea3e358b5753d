// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A few words and what each stands for: an enum's names, written once, in a
// table of one row a value. to_string() reads the table (word_of), the
// config's parsers too (parse_keyword, daemon/config/parse.h), and so do
// their "expected a, b or c" messages.

#include <span>
#include <string_view>
#include <type_traits>

namespace smalld {

template <typename T>
struct Keyword {
    const char* word;
    T value;
};

// The word for `value`; `unknown` when no row has it.
template <typename T>
constexpr const char* word_of(T value, std::span<const Keyword<std::type_identity_t<T>>> words,
                              const char* unknown = "?") {
    for (const auto& k : words)
        if (k.value == value) return k.word;
    return unknown;
}

}  // namespace smalld
