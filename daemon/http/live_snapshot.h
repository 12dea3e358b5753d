// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The live page's snapshot, as structs: what the daemon's read model
// (read_model.h) says, arranged per instance and protocol for the page's
// tables, with the history's rates beside. No JSON here:
// live_snapshot_json.cpp writes it out for /stats.json and the page, and
// applies the privacy rule (privacy.h) on the way, since there it leaves for
// a network client.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "live_counts.h"
#include "read_model.h"

namespace smalld {

// The live sessions the snapshot lists (the oldest first); the count of all
// open ones is beside them.
constexpr size_t kLiveSessionsShown = 100;

// A count by reason, the reasons that happened only: "acl" 2.
struct LiveReasonCount {
    std::string reason;
    double count = 0;
};

// One instance and protocol, served or with traffic. The counters are as
// visit_stats gives them; a protocol the instance does not serve reads 0.
struct LiveRow {
    std::string instance;
    std::string type;
    std::string proto;                // "tcp", "udp"
    std::vector<std::string> listen;  // "127.0.0.1:7", "[::1]:7"
    std::optional<double> open;       // TCP sessions open now; none for UDP
    double sessions_total = 0;
    double datagrams_in_total = 0;
    double datagrams_out_total = 0;
    double read_bytes_total = 0;
    double written_bytes_total = 0;
    LiveCounts rates;  // sessions, datagrams and bytes per second
    std::vector<LiveReasonCount> refused;
    std::vector<LiveReasonCount> dropped;
};

// The STAMP panel's entry for one stamp instance.
struct LiveStampPanel {
    struct Bucket {
        std::optional<double> le;  // seconds; none: +Inf
        uint64_t count = 0;        // in this bucket only
    };
    std::string instance;
    std::vector<Bucket> processing;
    // "reflected_total", "auth_failures_total", "sessions_current",
    // "processing_seconds_sum", "processing_seconds_count": those it has.
    std::map<std::string, double> values;
    double reflected_rate = 0;  // per second, over the rates' window
};

struct LiveSnapshot {
    StatusView daemon;
    bool last_reload_successful = true;
    std::vector<LiveRow> rows;
    std::vector<LiveStampPanel> stamp;
    std::optional<SessionList> sessions;  // none: [metrics] page_sessions = no
    // For the snapshot's "stats" member, rendered as the control socket's
    // `stats` is.
    const Stats* stats = nullptr;
    OpenSessions open;
};

// `rates` from LiveHistory::rates(); `sessions`: list the oldest
// kLiveSessionsShown sessions and count all.
LiveSnapshot live_snapshot(const ReadModel& model, const LiveRates& rates, bool sessions);

}  // namespace smalld
