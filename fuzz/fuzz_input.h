// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A fuzzer's input consumed front to back: numbers for the settings, then the
// rest as the payload. Past the end, everything reads as zero.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace fuzz {

struct Input {
    const uint8_t* data;
    size_t size;
    // A big-endian number of `bytes` bytes.
    uint64_t take(size_t bytes) {
        uint64_t v = 0;
        for (size_t i = 0; i < bytes && size > 0; ++i, ++data, --size) v = v << 8 | *data;
        return v;
    }
    // `bytes` bytes into `out`, zero-padded.
    void copy(void* out, size_t bytes) {
        std::memset(out, 0, bytes);
        size_t n = std::min(bytes, size);
        std::memcpy(out, data, n);
        skip(n);
    }
    void skip(size_t n) {
        n = std::min(n, size);
        data += n;
        size -= n;
    }
};

}  // namespace fuzz
