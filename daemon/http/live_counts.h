// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// What the live history counts per instance and protocol, and its rates per
// second: shared by the history (live_history.h) and the snapshot it feeds
// (live_snapshot.h), which reads no JSON.

#include <map>
#include <string>
#include <utility>

namespace smalld {

struct LiveCounts {
    double sessions = 0;   // TCP sessions accepted
    double datagrams = 0;  // UDP datagrams received
    double bytes = 0;      // payload bytes received and sent
    double refused = 0;    // TCP connections refused, every reason
    double dropped = 0;    // UDP datagrams dropped, every reason
    double reflected = 0;  // STAMP test packets reflected
};

// (instance, "tcp" | "udp")
using LiveRowKey = std::pair<std::string, std::string>;
using LiveRates = std::map<LiveRowKey, LiveCounts>;

}  // namespace smalld
