// The control protocol's request side: a byte stream framed into lines
// (bounded), each line parsed as words or JSON, and the UTF-8 check.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "control_request.h"

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
    (void)smalld::valid_utf8(input);
    (void)smalld::parse_request(input);
    return 0;
}
