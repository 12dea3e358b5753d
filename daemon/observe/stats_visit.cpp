// SPDX-License-Identifier: BSD-2-Clause
// visit_stats(): every number in the Stats, and the gauges of the sessions
// open now, as a StatSample, in a fixed order (process, daemon-wide, per
// instance and protocol, by reason, session lifetimes, STAMP), the one walk
// the JSON, Prometheus and status renderers share.
#include <cstdio>

#include "clock.h"
#include "log.h"
#include "process_stats.h"
#include "service_registry.h"
#include "stats.h"

namespace smalld {

namespace {

// Whether an instance has the series of a protocol: its type serves it (the
// catalogue's ServiceSpec) and, once the daemon has said, the instance has
// had listeners of it. A UDP-only stamp instance has no proto="tcp" series.
bool serves(const InstanceStats& record, bool tcp) {
    const ServiceSpec& spec = service_spec(record.type);
    if (!(tcp ? spec.tcp : spec.udp)) return false;
    return !record.listeners_known || (tcp ? record.tcp_listeners : record.udp_listeners);
}

// A sample of an instance's series over a protocol: its labels set.
StatSample instance_sample(const InstanceStats& record, bool tcp) {
    StatSample s;
    s.instance = record.name;
    s.type = to_string(record.type);
    s.proto = tcp ? "tcp" : "udp";
    return s;
}

// Per instance, TCP: the max_connections cap beside the gauge it caps (so
// "sessions near max_connections" is one division in PromQL), and the
// session lifetimes as a histogram: cumulative buckets, sum and count.
void visit_session_stats(const Stats& stats, const std::function<void(const StatSample&)>& visit) {
    for (const auto& [name, record] : stats.instances) {
        if (!serves(*record, true)) continue;
        StatSample s = instance_sample(*record, true);
        s.key = "max_connections";
        s.help = "The instance's max_connections: concurrent TCP sessions allowed, 0 = no limit.";
        s.counter = false;
        s.value = double(record->max_connections);
        visit(s);
    }
    static const auto labels = histogram_labels(DurationHistogram::bounds);
    for (const auto& [name, record] : stats.instances) {
        if (!serves(*record, true)) continue;
        StatSample s = instance_sample(*record, true);
        s.help = "How long TCP sessions lasted, from accept to close.";
        const DurationHistogram& h = record->session_duration;
        visit_histogram(s, "session.duration_seconds", labels, h.in_bucket, h.count, h.sum, visit);
    }
}

// The STAMP reflector's samples, for the stamp instances only.
void visit_stamp_stats(const Stats& stats, const OpenSessions& open,
                       const std::function<void(const StatSample&)>& visit) {
    struct Counter {
        const char* key;
        const char* help;
        bool counter;
        uint64_t StampStats::*field;  // nullptr: the sessions open now
    };
    static const Counter counters[] = {
        {"stamp.reflected_total", "STAMP test packets reflected.", true, &StampStats::reflected},
        {"stamp.malformed_total", "STAMP datagrams too short to be a test packet; no reply.", true,
         &StampStats::malformed},
        {"stamp.auth_failures_total", "STAMP test packets that failed authentication; no reply.",
         true, &StampStats::auth_failures},
        {"stamp.auth_downgraded_total",
         "STAMP packets of authenticated size whose HMAC failed, answered unauthenticated "
         "(auth = optional).",
         true, &StampStats::auth_downgraded},
        {"stamp.sessions_current", "Stateful STAMP sessions in the table.", false, nullptr},
        {"stamp.sessions_evicted_total",
         "Stateful STAMP sessions dropped because the table was full.", true,
         &StampStats::sessions_evicted},
        {"stamp.sessions_expired_total",
         "Stateful STAMP sessions dropped after session_timeout idle.", true,
         &StampStats::sessions_expired},
    };
    for (const auto& counter : counters) {
        for (const auto& [name, record] : stats.instances) {
            if (record->type != ServiceType::Stamp || !serves(*record, false)) continue;
            StatSample s = instance_sample(*record, false);
            s.key = counter.key;
            s.help = counter.help;
            s.counter = counter.counter;
            s.value = counter.field ? double(record->stamp.*counter.field)
                                    : double(open.of(record->name).stamp);
            visit(s);
        }
    }
    static const auto labels = histogram_labels(StampStats::kBounds);
    for (const auto& [name, record] : stats.instances) {
        if (record->type != ServiceType::Stamp || !serves(*record, false)) continue;
        StatSample s = instance_sample(*record, false);
        s.help = "STAMP reflector processing time, T3 - T2, in seconds.";
        const StampStats& st = record->stamp;
        // processing[] ends with the +Inf bucket: its cumulative total is processing_count.
        visit_histogram(s, "stamp.processing_seconds", labels,
                        std::span(st.processing).first(labels.size()), st.processing_count,
                        double(st.processing_sum_ns) * 1e-9, visit);
    }
}

// The daemon-wide counters (DaemonCounters), in the order they are listed.
struct DaemonCounter {
    const char* key;
    const char* help;
    uint64_t DaemonCounters::*field;
};
const DaemonCounter kDaemonCounters[] = {
    {"conn.accepted_total", "TCP sessions accepted.", &DaemonCounters::conn_accepted_total},
    {"reload.total", "Configuration reloads attempted.", &DaemonCounters::reload_total},
    {"reload.failed_total", "Configuration reloads that failed; the old one was kept.",
     &DaemonCounters::reload_failed_total},
    {"control.commands_total", "Control socket commands received.",
     &DaemonCounters::control_commands_total},
    {"control.denied_total", "Control socket commands refused for lack of privilege.",
     &DaemonCounters::control_denied_total},
    {"control.events_dropped_total", "Monitor events not sent because the monitor did not keep up.",
     &DaemonCounters::control_events_dropped_total},
    {"control.events_total", "Monitor events built and offered to the monitors.",
     &DaemonCounters::control_events_total},
    {"control.events_coalesced_total",
     "Refusals not sent to monitors one by one but summed up in a summary event.",
     &DaemonCounters::control_events_coalesced_total},
    {"metrics.connections_refused_total",
     "Connections and event streams of the metrics endpoint refused (503) by its caps.",
     &DaemonCounters::metrics_connections_refused_total},
    {"metrics.requests_timed_out_total",
     "Metrics endpoint connections closed at the whole-request deadline.",
     &DaemonCounters::metrics_requests_timed_out_total},
    {"metrics.streams_dropped_total",
     "Live page event streams closed because their reader fell too far behind.",
     &DaemonCounters::metrics_streams_dropped_total},
    {"metrics.connections_evicted_total",
     "Metrics endpoint connections waiting for a request, closed to make room for a newcomer at "
     "a cap.",
     &DaemonCounters::metrics_connections_evicted_total},
    {"metrics.streams_evicted_total",
     "Live page event streams closed to make room for a new one at the cap.",
     &DaemonCounters::metrics_streams_evicted_total},
    {"metrics.streams_stalled_total",
     "Live page event streams closed because their reader took none of its output for 15 "
     "seconds.",
     &DaemonCounters::metrics_streams_stalled_total},
    {"control.clients_refused_total",
     "Control socket clients refused (busy): no free slot and none to make room.",
     &DaemonCounters::control_clients_refused_total},
    {"control.clients_evicted_total",
     "Control socket clients waiting for a request, closed to make room for a newcomer at a cap.",
     &DaemonCounters::control_clients_evicted_total},
    {"control.monitors_stalled_total",
     "Monitors closed because their reader took none of its output for 15 seconds.",
     &DaemonCounters::control_monitors_stalled_total},
};

}  // namespace

std::vector<std::string> histogram_labels(std::span<const double> bounds) {
    std::vector<std::string> labels;
    for (double bound : bounds) {
        char label[32];
        snprintf(label, sizeof label, "%g", bound);
        labels.emplace_back(label);
    }
    return labels;
}

void visit_histogram(StatSample s, std::string_view family, std::span<const std::string> labels,
                     std::span<const uint64_t> buckets, uint64_t count, double sum,
                     const std::function<void(const StatSample&)>& visit) {
    const std::string name(family);
    const std::string bucket = name + "_bucket", sum_key = name + "_sum",
                      count_key = name + "_count";
    s.histogram = family;
    s.key = bucket;
    uint64_t cumulative = 0;
    for (size_t b = 0; b < buckets.size(); ++b) {
        cumulative += buckets[b];
        s.le = labels[b];
        s.value = double(cumulative);
        visit(s);
    }
    s.le = "+Inf";
    s.value = double(count);
    visit(s);
    s.le = {};
    s.key = sum_key;
    s.value = sum;
    visit(s);
    s.key = count_key;
    s.value = double(count);
    visit(s);
}

void visit_stats(const Stats& stats, const OpenSessions& open,
                 const std::function<void(const StatSample&)>& visit, PeerSamples peers) {
    auto global = [&](std::string_view key, std::string_view help, bool counter, double value) {
        StatSample s;
        s.key = key;
        s.help = help;
        s.counter = counter;
        s.value = value;
        visit(s);
    };
    const ProcessStats process = read_process_stats();
    global("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", true,
           process.cpu_seconds);
    global("process_resident_memory_bytes", "Resident memory size in bytes.", false,
           process.resident_bytes);
    global("process_open_fds", "Number of open file descriptors.", false, process.open_fds);
    global("process_max_fds", "Maximum number of open file descriptors.", false, process.max_fds);
    global("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
           false, process.start_time_unix);
    global("conn.current", "TCP sessions open now.", false, double(open.tcp));
    for (const DaemonCounter& c : kDaemonCounters)
        global(c.key, c.help, true, double(stats.counters.*c.field));
    global("config.last_reload_successful",
           "1 if the last configuration load succeeded, 0 if it failed.", false,
           stats.config_last_reload_successful ? 1 : 0);
    global("config.last_reload_success_timestamp_seconds",
           "Unix time of the last successful configuration load.", false,
           stats.config_last_reload_success_unix);
    uint64_t suppressed = 0;
    for (const LogLimiter* limiter : log::limiters()) suppressed += limiter->suppressed_total();
    global("log.lines_dropped_total", "Log lines lost because the log's queue was full.", true,
           double(log::dropped()));
    global("log.lines_suppressed_total", "Log lines held back by a rate limit.", true,
           double(suppressed));

    // Per instance and protocol, grouped by key so that renderers can emit one
    // HELP/TYPE header per metric.
    struct PerProto {
        const char* key;
        const char* help;
        bool counter;
        bool tcp_only;
        bool udp_only;
        uint64_t ProtoStats::*field;  // nullptr: the sessions open now
    };
    static const PerProto per_proto[] = {
        {"sessions_total", "TCP sessions accepted by the instance.", true, true, false,
         &ProtoStats::sessions_total},
        {"sessions_current", "TCP sessions of the instance open now.", false, true, false, nullptr},
        {"datagrams_in_total", "UDP datagrams received.", true, false, true,
         &ProtoStats::datagrams_in},
        {"datagrams_out_total", "UDP datagrams sent.", true, false, true,
         &ProtoStats::datagrams_out},
        {"read_bytes_total", "Payload bytes received.", true, false, false,
         &ProtoStats::bytes_read},
        {"written_bytes_total", "Payload bytes sent.", true, false, false,
         &ProtoStats::bytes_written},
    };
    for (const auto& metric : per_proto) {
        for (const auto& [name, record] : stats.instances) {
            for (int p = 0; p < 2; ++p) {
                bool tcp = p == 0;
                if ((metric.tcp_only && !tcp) || (metric.udp_only && tcp)) continue;
                if (!serves(*record, tcp)) continue;
                const ProtoStats& ps = tcp ? record->tcp : record->udp;
                StatSample s = instance_sample(*record, tcp);
                s.key = metric.key;
                s.help = metric.help;
                s.counter = metric.counter;
                s.value =
                    metric.field ? double(ps.*metric.field) : double(open.of(record->name).tcp);
                visit(s);
            }
        }
    }
    // Counters by reason: one sample per instance and reason, zeros included,
    // so every series exists from the start.
    auto by_reason = [&](std::string_view key, std::string_view help, bool tcp, size_t count,
                         auto reason_name, auto value_of) {
        for (const auto& [name, record] : stats.instances) {
            if (!serves(*record, tcp)) continue;
            for (size_t r = 0; r < count; ++r) {
                StatSample s = instance_sample(*record, tcp);
                s.key = key;
                s.help = help;
                s.reason = reason_name(r);
                s.value = double(value_of(*record, r));
                visit(s);
            }
        }
    };
    by_reason(
        "conn.rejected_total", "TCP connections refused, by reason.", true,
        size_t(RejectReason::Count), [](size_t r) { return to_string(RejectReason(r)); },
        [](const InstanceStats& i, size_t r) { return i.tcp.rejected[r]; });
    by_reason(
        "datagrams_dropped_total", "UDP datagrams dropped without a reply, by reason.", false,
        size_t(DropReason::Count), [](size_t r) { return to_string(DropReason(r)); },
        [](const InstanceStats& i, size_t r) { return i.udp.dropped[r]; });
    visit_session_stats(stats, visit);
    visit_stamp_stats(stats, open, visit);
    visit_sender_stats(stats, clock_ns(CLOCK_REALTIME), visit, peers);
}

}  // namespace smalld
