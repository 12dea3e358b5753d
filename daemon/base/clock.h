// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A clock read in nanoseconds: CLOCK_MONOTONIC for timers and schedules
// (what WakeTimer::at() takes), CLOCK_REALTIME for what is compared with a
// packet's timestamps.

#include <time.h>

#include <cstdint>

namespace smalld {

inline int64_t clock_ns(clockid_t id = CLOCK_MONOTONIC) {
    timespec t{};
    clock_gettime(id, &t);
    return int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

}  // namespace smalld
