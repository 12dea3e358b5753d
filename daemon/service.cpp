#include <ctime>

#include "services.h"

namespace smalld {

WallTime wall_now() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return {ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec)};
}

uint64_t next_random() {
    // xorshift64*, seeded from the clock once.
    static uint64_t state = [] {
        timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (static_cast<uint64_t>(ts.tv_nsec) << 20) ^ static_cast<uint64_t>(ts.tv_sec) ^
               0x9E3779B97F4A7C15ULL;
    }();
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1DULL;
}

}  // namespace smalld
