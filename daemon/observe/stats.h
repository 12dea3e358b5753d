// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The one source of truth for every counter. Plain integers, bumped on the
// hot path; renderers (JSON, Prometheus, the status report) walk them, with
// the gauges of the sessions open now (OpenSessions), through visit_stats(),
// so all of them show the same numbers.

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "peer_figures.h"
#include "sender_session.h"

namespace smalld {

enum class RejectReason { Acl, Limit, PerSource, Rate, Fd, Count };
enum class DropReason { Acl, Rate, Loop, Amplification, Send, Count };
const char* to_string(RejectReason reason);
const char* to_string(DropReason reason);

struct ProtoStats {
    uint64_t sessions_total = 0;  // TCP sessions accepted
    uint64_t datagrams_in = 0;
    uint64_t datagrams_out = 0;
    uint64_t bytes_read = 0;
    uint64_t bytes_written = 0;
    std::array<uint64_t, size_t(RejectReason::Count)> rejected{};
    std::array<uint64_t, size_t(DropReason::Count)> dropped{};

    void reject(RejectReason r) { ++rejected[size_t(r)]; }
    void drop(DropReason r) { ++dropped[size_t(r)]; }
};

// The STAMP reflector's counters (stamp instances only).
struct StampStats {
    // Upper bounds of the processing-time histogram buckets, in seconds,
    // from a microsecond to 10 s (a loaded host's p99 passed 10 ms); the
    // last bucket is +Inf.
    static constexpr double kBounds[] = {1e-6, 2e-6, 5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4,
                                         5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1,
                                         0.2,  0.5,  1,    2,    5,    10};
    static constexpr size_t kBuckets = std::size(kBounds) + 1;

    uint64_t reflected = 0;
    uint64_t malformed = 0;
    uint64_t auth_failures = 0;
    uint64_t auth_downgraded = 0;   // auth = optional: a bad HMAC answered unauthenticated
    uint64_t sessions_evicted = 0;  // the table was full
    uint64_t sessions_expired = 0;  // idle past session_timeout
    std::array<uint64_t, kBuckets> processing{};  // per bucket, not cumulative
    uint64_t processing_count = 0;
    uint64_t processing_sum_ns = 0;

    void observe_processing(int64_t nanos);
};

// A peer's counters as they are shown: the session's since `stats reset`
// (the packets in flight then are counted as sent after it, so that every
// packet counted sent is answered, lost or in flight).
// The session's own never go back (its packets carry the count sent, and
// the loss is split against the reflector's).
struct PeerCounts {
    uint64_t sent = 0, received = 0, duplicates = 0, reordered = 0;
    stamp::LossSplit loss;
};

// One stamp-sender peer: its session and figures (the STAMP core's), made
// and driven by the sender (daemon/net/stamp_sender.cpp) and read here by
// every renderer. A reload that leaves the peer as it was keeps this object,
// so its counters and history go on.
struct SenderPeerStats {
    SenderPeerStats(std::string peer_name, const stamp::SenderSettings& settings, int64_t window_ns,
                    size_t window_samples)
        : name(std::move(peer_name)), session(settings), figures(window_ns, window_samples) {}
    std::string name;
    std::string address;      // where it is sent, once resolved; "" before
    bool same_clock = false;  // a loopback peer: both ends read one clock
    stamp::SenderSession session;
    stamp::PeerFigures figures;
    PeerCounts base;  // the session's counts at the last reset

    PeerCounts counts() const;
    void reset_counts();
};

// A stamp-sender instance's peers, in the configuration's order, and the
// replies it dropped (not per peer: a dropped reply may be of no peer).
struct SenderStats {
    std::vector<std::shared_ptr<SenderPeerStats>> peers;
    std::array<uint64_t, stamp::kReplyDropReasons> dropped{};
    uint64_t send_errors = 0;
    unsigned exported = 255;  // StampSenderSettings::exported
};

// Session lifetimes, in the Prometheus histogram's bucket bounds (seconds):
// from a quick probe to the default max_duration of an hour.
struct DurationHistogram {
    static constexpr std::array<double, 11> bounds{0.01, 0.1, 0.5, 1,   5,   10,
                                                   30,   60,  300, 900, 3600};
    std::array<uint64_t, bounds.size()> in_bucket{};  // not cumulative; +Inf is count
    uint64_t count = 0;
    double sum = 0;

    void observe(double seconds);
};

// Kept per instance name, so counters survive reloads that rebuild the instance.
struct InstanceStats {
    std::string name;
    ServiceType type = ServiceType::Echo;
    ProtoStats tcp;
    ProtoStats udp;
    StampStats stamp;
    DurationHistogram session_duration;  // TCP sessions, observed when they close
    SenderStats sender;                  // stamp-sender instances only
    uint64_t max_connections = 0;        // the configured cap, 0 = none
    bool configured = true;              // false once a reload removed the instance
    // The protocols the instance has had listeners of since this record was
    // made (its tcp=/udp= keys, the type's defaults, systemd's sockets). Only
    // they have series: a reload that adds one starts its series, one that
    // drops one leaves them, no longer growing, until the instance goes.
    // Until the daemon says (a test's record), the type's protocols.
    bool listeners_known = false;
    bool tcp_listeners = false;
    bool udp_listeners = false;
    void note_listeners(bool has_tcp, bool has_udp) {
        listeners_known = true;
        tcp_listeners |= has_tcp;
        udp_listeners |= has_udp;
    }
};

// The daemon-wide counters (not per instance), in one struct so that
// `stats reset` zeroes them all with `= {}` and a new one cannot be missed.
// Plain integers only: the unit test sets every byte and checks reset.
struct DaemonCounters {
    uint64_t conn_accepted_total = 0;
    uint64_t reload_total = 0;
    uint64_t reload_failed_total = 0;
    uint64_t control_commands_total = 0;
    uint64_t control_denied_total = 0;
    uint64_t control_events_dropped_total = 0;    // monitor events lost to slow monitors
    uint64_t control_events_total = 0;            // monitor events built and sent out
    uint64_t control_events_coalesced_total = 0;  // refusals summed up, not built one by one
    uint64_t metrics_connections_refused_total = 0;
    uint64_t metrics_requests_timed_out_total = 0;
    uint64_t metrics_streams_dropped_total = 0;      // live page event streams too slow to keep
    uint64_t metrics_connections_evicted_total = 0;  // closed for a newcomer at a cap
    uint64_t metrics_streams_evicted_total = 0;      // closed for a newcomer at the cap
    uint64_t metrics_streams_stalled_total = 0;      // readers that took nothing for a while
    uint64_t control_clients_refused_total = 0;      // busy: no slot and no victim
    uint64_t control_clients_evicted_total = 0;      // closed for a newcomer at a cap
    uint64_t control_monitors_stalled_total = 0;     // monitors that took nothing for a while

    bool operator==(const DaemonCounters&) const = default;
};

struct Stats {
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    DaemonCounters counters;
    // The start-up configuration counts as the first successful load, as in
    // Prometheus's own prometheus_config_last_reload_* gauges.
    bool config_last_reload_successful = true;
    double config_last_reload_success_unix = unix_now();
    // Every instance's record, shared with the daemon's Instances (and so
    // with their sessions and listeners).
    std::map<std::string, std::shared_ptr<InstanceStats>, std::less<>> instances;

    // Finds or creates the record for an instance.
    std::shared_ptr<InstanceStats> record(std::string_view name, ServiceType type);
    InstanceStats& instance(std::string_view name, ServiceType type) { return *record(name, type); }
    // Forgets the records nothing else holds: instances a reload removed,
    // whose sessions have all closed. Their series vanish. Returns how many.
    size_t drop_unused();
    static double unix_now();
    double uptime_seconds() const;
    // `stats reset`: every counter to zero. What is open now is not here
    // (OpenSessions), so neither the gauges nor admission can change.
    void reset_counters();
};

// The sessions open now, for the gauges conn.current, sessions_current and
// stamp.sessions_current. They are the daemon's state, not statistics: the
// daemon reads them when a renderer runs (Daemon::open_sessions(), from the
// session table, each instance's AdmissionState and its service).
struct OpenSessions {
    struct PerInstance {
        uint64_t tcp = 0;    // the instance's TCP sessions
        uint64_t stamp = 0;  // its stateful STAMP sessions
    };
    uint64_t tcp = 0;                                           // every TCP session of the daemon
    std::map<std::string, PerInstance, std::less<>> instances;  // by name; absent: none

    PerInstance of(std::string_view instance) const;
};

// One number, as every renderer sees it. `key` is the dotted SPEC name
// ("conn.rejected_total"), or for the standard process metrics their
// Prometheus name ("process_open_fds", no prefix); labels that do not apply
// are empty.
struct StatSample {
    std::string_view key;
    std::string_view help;
    bool counter = true;        // false: gauge
    std::string_view instance;  // the instance's name: the Prometheus label "service"
    std::string_view type;
    std::string_view proto;
    std::string_view reason;
    std::string_view peer;       // a stamp-sender's peer
    std::string_view direction;  // forward, backward (and the loss's reflector, unknown)
    // Histogram samples: the family ("stamp.processing_seconds") whose
    // _bucket (with le), _sum and _count samples this is.
    std::string_view histogram;
    std::string_view le;
    double value = 0;
};

// Whether a walk includes each stamp-sender peer's samples (some 100 a
// peer): the renderers do; a reader of the instances' figures (the live
// page's history each second, the status report) skips them, as a walk of
// 10,000 peers holds the loop for tens of milliseconds.
enum class PeerSamples : bool { Skip, Include };
void visit_stats(const Stats& stats, const OpenSessions& open,
                 const std::function<void(const StatSample&)>& visit,
                 PeerSamples peers = PeerSamples::Include);
// The stamp-sender's part of that walk (stats_visit_peers.cpp): per peer,
// the families `export` keeps, and the dropped replies by reason. `now_ns`:
// CLOCK_REALTIME, for the up gauge.
void visit_sender_stats(const Stats& stats, int64_t now_ns,
                        const std::function<void(const StatSample&)>& visit, PeerSamples peers);

// The le labels of a histogram's bucket bounds, as Prometheus writes them ("%g").
std::vector<std::string> histogram_labels(std::span<const double> bounds);
// A histogram's samples, with `s`'s labels and help: FAMILY_bucket for each
// bound (cumulative, le from `labels`) and for le="+Inf" (`count`), then
// FAMILY_sum and FAMILY_count. `buckets`: one a bound, not cumulative.
void visit_histogram(StatSample s, std::string_view family, std::span<const std::string> labels,
                     std::span<const uint64_t> buckets, uint64_t count, double sum,
                     const std::function<void(const StatSample&)>& visit);

}  // namespace smalld
