// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The live page's rates: once a second the metrics endpoint samples the
// counters (through visit_stats, like every renderer) and keeps the last
// kSamples samples. From them come the rates per instance and protocol
// (sessions/s, datagrams/s, bytes/s over the last kRateWindow seconds) and
// the charts' series (the daemon's totals, second by second). Pure: the
// clock is passed in.

#include <array>
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
    // A stamp-sender peer's sparklines: one slot per sample, in a ring as
    // long as the history, made whole when the peer is first seen, so that
    // what it costs (8 bytes a second, 2.4 KiB a peer) is there from the
    // start, not grown into over five minutes.
    struct PeerTrack {
        std::array<float, kSamples> rtt;  // p50 over the sender's window, s; NaN: none
        // Settled in the second before the sample, and lost of them; past
        // 65535 (a backlog settled at once), both scaled to fit.
        std::array<uint16_t, kSamples> lost, settled;
        uint64_t since = 0;                         // the first sample it is in (taken_ then)
        uint64_t last = 0;                          // the last sample it is in
        double lost_total = 0, received_total = 0;  // the counters at the last
    };
    struct Sample {
        int64_t ms = 0;
        Counts total;
        std::map<Row, Counts> rows;
        // "dropped rate", "refused acl": every instance's, summed.
        std::map<std::string, double> reasons;
        double auth_failures = 0;
        double reloads_failed = 0;
    };
    nlohmann::json peer_series() const;
    std::deque<Sample> samples_;
    uint64_t taken_ = 0;                      // samples ever taken
    std::map<std::string, PeerTrack> peers_;  // "sender/peer": those in the last sample
};

}  // namespace smalld
