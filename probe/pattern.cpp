// SPDX-License-Identifier: BSD-2-Clause
#include "pattern.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace smallprobe {
namespace {

constexpr size_t kPatternPeriod = 65521;  // largest prime below 2^16

// Two chargen cycles back to back so a comparison window never wraps.
const std::array<uint8_t, 2 * ChargenVerifier::kCycle>& chargen_cycle() {
    static const auto cycle = [] {
        std::array<uint8_t, 2 * ChargenVerifier::kCycle> bytes{};
        for (size_t i = 0; i < bytes.size(); ++i) {
            const size_t line = (i / ChargenVerifier::kLineLength) % 95;
            const size_t column = i % ChargenVerifier::kLineLength;
            if (column == 72) {
                bytes[i] = '\r';
            } else if (column == 73) {
                bytes[i] = '\n';
            } else {
                bytes[i] = static_cast<uint8_t>(0x20 + (line + column) % 95);
            }
        }
        return bytes;
    }();
    return cycle;
}

}  // namespace

StreamSource StreamSource::pattern() {
    StreamSource source;
    source.period_ = kPatternPeriod;
    source.bytes_.resize(kPatternPeriod + kMaxWindow);
    uint32_t state = 2463534242u;  // xorshift32: cheap, and no zero runs
    for (size_t i = 0; i < kPatternPeriod; ++i) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        source.bytes_[i] = static_cast<uint8_t>(state);
    }
    for (size_t i = kPatternPeriod; i < source.bytes_.size(); ++i)
        source.bytes_[i] = source.bytes_[i - kPatternPeriod];
    return source;
}

StreamSource StreamSource::repeated(std::string_view unit) {
    StreamSource source;
    const size_t copies = std::max<size_t>(1, 65536 / unit.size());
    source.period_ = copies * unit.size();
    const size_t total = source.period_ + kMaxWindow;
    source.bytes_.resize(total);
    for (size_t i = 0; i < total; ++i)
        source.bytes_[i] = static_cast<uint8_t>(unit[i % unit.size()]);
    return source;
}

uint64_t stream_start_for(uint32_t id, const StreamSource& source) {
    return (static_cast<uint64_t>(id) * 7919u) % source.period();
}

uint64_t count_mismatches(const uint8_t* got, const uint8_t* want, size_t len) {
    if (std::memcmp(got, want, len) == 0) return 0;
    uint64_t wrong = 0;
    for (size_t i = 0; i < len; ++i) wrong += got[i] != want[i];
    return wrong;
}

void ChargenVerifier::feed(const uint8_t* data, size_t len) {
    if (len == 0) return;
    const auto& cycle = chargen_cycle();
    if (!synced_) {
        synced_ = true;
        const uint8_t first = data[0];
        if (!strict_ && first >= 0x20 && first <= 0x7e)
            position_ = static_cast<size_t>(first - 0x20) * kLineLength;
    }
    bytes_ += len;
    while (len > 0) {
        const size_t window = std::min(len, kCycle);
        mismatched_ += count_mismatches(data, cycle.data() + position_, window);
        position_ = (position_ + window) % kCycle;
        data += window;
        len -= window;
    }
}

uint64_t count_unprintable(const uint8_t* data, size_t len) {
    uint64_t bad = 0;
    for (size_t i = 0; i < len; ++i) {
        const uint8_t c = data[i];
        bad += !((c >= 0x20 && c <= 0x7e) || c == '\r' || c == '\n');
    }
    return bad;
}

}  // namespace smallprobe
