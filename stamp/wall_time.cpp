// SPDX-License-Identifier: BSD-2-Clause
#include "wall_time.h"

#include <ctime>

namespace smalld {

WallTime wall_now() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return {ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec)};
}

}  // namespace smalld
