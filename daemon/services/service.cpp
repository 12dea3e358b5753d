// SPDX-License-Identifier: BSD-2-Clause
#include <ctime>

#include "services.h"

namespace smalld {

Random Random::from_clock() {
    // Two services built in the same clock tick still get different seeds.
    static uint64_t built = 0;
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return Random((static_cast<uint64_t>(ts.tv_nsec) << 20) ^ static_cast<uint64_t>(ts.tv_sec) ^
                  (++built * 0x9E3779B97F4A7C15ULL));
}

uint64_t Random::next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1DULL;
}

}  // namespace smalld
