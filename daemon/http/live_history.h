// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The live page's rates: once a second the metrics endpoint samples the
// counters (through visit_stats, like every renderer) and keeps the last
// kSamples samples. From them come the rates per instance and protocol
// (sessions/s, datagrams/s, bytes/s over the last kRateWindow seconds) and
// the charts' series (the daemon's totals, second by second). Pure: the
// clock is passed in.

#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>

#include "live_counts.h"

namespace smalld {

struct Stats;

class LiveHistory {
  public:
    static constexpr size_t kSamples = 301;  // five minutes of one-second steps
    static constexpr size_t kRateWindow = 5;

    using Counts = LiveCounts;
    using Row = LiveRowKey;

    // `wall_ns` (CLOCK_REALTIME): with it, the stamp-sender peers' RTT p50
    // and loss are sampled too (the peers panel's sparklines); 0: not.
    void sample(const Stats& stats, int64_t now_ms, int64_t wall_ns = 0);
    size_t size() const { return samples_.size(); }

    // Per instance and protocol, per second over the last kRateWindow
    // seconds, to the millisecond: sessions, datagrams, bytes and STAMP test
    // packets reflected (refusals and drops: see series() and problems()).
    LiveRates rates() const;
    // {"step_seconds": 1, "slots": 300, "sessions": [...], "datagrams": [...],
    // "bytes": [...], "problems": {"dropped rate": [...], "refused acl": [...]},
    // "rows": {"echo/udp": {"traffic": [...], "problems": [...]}},
    // "peers": {"sender/peer": {"rtt": [p50 seconds or null], "loss": [% of
    // the packets settled in that second, or null: none was]}}}: per-second
    // rates, oldest first (at most `slots` of them, the width of the charts):
    // of the totals, of each refusal and drop reason seen in the window, and
    // per instance and protocol (sessions and datagrams; refusals and drops).
    nlohmann::json series() const;
    // What went wrong over the window (up to five minutes, "seconds" of it
    // covered): {"seconds": 300, "dropped": N, "refused": N,
    // "auth_failures": N, "reloads_failed": N, "rows": {"echo/udp":
    // {"dropped": N, "refused": N}}} (rows with any). Counted from the
    // samples' increases, so a `stats reset` in the window loses nothing
    // that came after it.
    nlohmann::json problems() const;

  private:
    struct PeerSample {
        std::optional<double> rtt;  // p50 over the sender's window, seconds
        double lost = 0, received = 0;
    };
    struct Sample {
        int64_t ms = 0;
        Counts total;
        std::map<Row, Counts> rows;
        // "dropped rate", "refused acl": every instance's, summed.
        std::map<std::string, double> reasons;
        double auth_failures = 0;
        double reloads_failed = 0;
        std::map<std::string, PeerSample> peers;  // "sender/peer"
    };
    nlohmann::json peer_series() const;
    std::deque<Sample> samples_;
};

}  // namespace smalld
