// SPDX-License-Identifier: BSD-2-Clause
// The control protocol's request side: a byte stream framed into lines
// (bounded), each line parsed as words or JSON, and the UTF-8 check; and the
// reply side's one JSON boundary, which must turn any bytes into valid UTF-8.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "control_request.h"
#include "render.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    // The first byte cuts the stream into reads of varying size, as a socket would.
    size_t step = size ? size_t(data[0]) % 64 + 1 : 1;
    smalld::LineReader reader(size ? 16 + size_t(data[0]) * 16 : smalld::kMaxRequestLine);
    for (size_t at = 0; at < input.size(); at += step) {
        std::string_view piece = input.substr(at, step);
        size_t consumed = reader.feed(piece, [&](const smalld::LineReader::Item& item) {
            if (item.too_long) return true;
            if (item.line.find('\n') != std::string_view::npos) abort();
            smalld::ParsedRequest parsed = smalld::parse_request(item.line);
            if (!parsed.empty && !parsed.request && parsed.error.empty()) abort();
            if (parsed.request && parsed.request->words.empty()) abort();
            return true;
        });
        if (consumed != piece.size()) abort();
    }
    bool valid = smalld::valid_utf8(input);
    (void)smalld::parse_request(input);
    std::string escaped = smalld::escape_invalid_utf8(input);
    if (!smalld::valid_utf8(escaped) || (valid && escaped != input)) abort();
    std::string printable = smalld::escape_unprintable(input);
    if (!smalld::valid_utf8(printable)) abort();
    for (char c : printable)
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) abort();
    std::string text =
        smalld::to_json_text({{"error", std::string(input)}, {std::string(input), 1}});
    if (!smalld::valid_utf8(text) || nlohmann::json::parse(text, nullptr, false).is_discarded())
        abort();
    return 0;
}
