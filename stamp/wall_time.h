// SPDX-License-Identifier: BSD-2-Clause
// Wall-clock time (CLOCK_REALTIME), as the STAMP timestamps and the time
// services read it.
#pragma once

#include <cstdint>

namespace smalld {

struct WallTime {
    int64_t unix_seconds = 0;
    uint32_t nanos = 0;
};
WallTime wall_now();

}  // namespace smalld
