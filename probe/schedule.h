// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The open-loop timetable of one connection or flow: message k is due at
// start + phase + k * interval, whatever happened to the messages before it.
// Latency is measured from these times, so a server that stalls is charged
// for every message that should have gone out during the stall.

#include <cstdint>

namespace smallprobe {

struct OpenLoopSchedule {
    uint64_t start_ns = 0;
    uint64_t phase_ns = 0;  // spreads connections evenly over one interval
    uint64_t interval_ns = 1;

    // Per connection: `total_rate` messages/s shared by `connections`, this
    // one being number `index`.
    static OpenLoopSchedule for_connection(uint64_t start, uint64_t total_rate,
                                           uint32_t connections, uint32_t index) {
        OpenLoopSchedule s;
        s.start_ns = start;
        const uint64_t interval = 1000000000ull * connections / total_rate;
        s.interval_ns = interval ? interval : 1;
        s.phase_ns = s.interval_ns * index / (connections ? connections : 1);
        return s;
    }

    uint64_t intended(uint64_t message) const {
        return start_ns + phase_ns + message * interval_ns;
    }

    // How many messages are due by `now` (message k is due once now >= intended(k)).
    uint64_t due_by(uint64_t now) const {
        const uint64_t first = start_ns + phase_ns;
        return now < first ? 0 : (now - first) / interval_ns + 1;
    }
};

}  // namespace smallprobe
