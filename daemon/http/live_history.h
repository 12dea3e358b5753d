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
#include <string>
#include <utility>

namespace smalld {

struct Stats;

class LiveHistory {
  public:
    static constexpr size_t kSamples = 301;  // five minutes of one-second steps
    static constexpr size_t kRateWindow = 5;

    struct Counts {
        double sessions = 0;   // TCP sessions accepted
        double datagrams = 0;  // UDP datagrams received
        double bytes = 0;      // payload bytes received and sent
        double refused = 0;    // TCP connections refused, every reason
        double dropped = 0;    // UDP datagrams dropped, every reason
        double reflected = 0;  // STAMP test packets reflected
    };
    // Keyed by (instance, "tcp" | "udp").
    using Row = std::pair<std::string, std::string>;

    void sample(const Stats& stats, int64_t now_ms);
    size_t size() const { return samples_.size(); }

    // {"echo": {"tcp": {"sessions": 2.5, "datagrams": 0, "bytes": 130}, ...}, ...}
    nlohmann::json rates() const;
    // {"step_seconds": 1, "slots": 300, "sessions": [...], "datagrams": [...],
    // "bytes": [...], "problems": {"dropped rate": [...], "refused acl": [...]},
    // "rows": {"echo/udp": {"traffic": [...], "problems": [...]}}}: per-second
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
    // STAMP packets reflected per second over the last kRateWindow seconds,
    // by instance.
    std::map<std::string, double> reflected_rates() const;

  private:
    struct Sample {
        int64_t ms = 0;
        Counts total;
        std::map<Row, Counts> rows;
        // "dropped rate", "refused acl": every instance's, summed.
        std::map<std::string, double> reasons;
        double auth_failures = 0;
        double reloads_failed = 0;
    };
    std::deque<Sample> samples_;
};

}  // namespace smalld
