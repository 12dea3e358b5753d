// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// One monotonic clock in nanoseconds for every timestamp the probe takes, so
// latencies, schedules and deadlines are all comparable; the wall clock only
// for the timestamps a peer reads (STAMP's T1).

#include <time.h>

#include <cstdint>

namespace smallprobe {

inline uint64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// The wall clock (CLOCK_REALTIME) in nanoseconds since the epoch: STAMP's T1.
inline int64_t realtime_ns() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

constexpr uint64_t kNsPerMs = 1000000ull;
constexpr uint64_t kNsPerSec = 1000000000ull;

}  // namespace smallprobe
