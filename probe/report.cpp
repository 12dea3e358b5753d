// SPDX-License-Identifier: BSD-2-Clause
#include "report.h"

#include <string>

#include "clock.h"
#include "datagram_ledger.h"
#include "json_text.h"
#include "units.h"

namespace smallprobe {
namespace {

using ull = unsigned long long;

double per_second(uint64_t value, uint64_t elapsed_ns) {
    return elapsed_ns ? static_cast<double>(value) * 1e9 / static_cast<double>(elapsed_ns) : 0;
}

double micros(uint64_t ns) {
    return static_cast<double>(ns) / 1e3;
}

// The unit a mode counts, for the summary.
const char* op_name(const Options& o) {
    switch (o.mode) {
        case Mode::Echo:
            return o.udp ? "datagrams" : "messages";
        case Mode::Line:
            return "replies";
        case Mode::Connect:
            return "queries";
        case Mode::Chargen:
            return o.udp ? "datagrams" : "lines";
        case Mode::Discard:
            return o.udp ? "datagrams" : "messages";  // of -s bytes each
        case Mode::Idle:
        case Mode::SlowRead:
            return "connections";
    }
    return "ops";
}

bool has_latency(const Options& o) {
    return o.mode == Mode::Echo || o.mode == Mode::Line || o.mode == Mode::Connect ||
           (o.mode == Mode::Chargen && o.udp);
}

// The modes that account for every datagram: sent, received, lost.
bool counts_datagrams(const Options& o) {
    return o.udp && o.mode == Mode::Echo;
}

bool holds_connections(const Options& o) {
    return o.mode == Mode::Idle || o.mode == Mode::SlowRead;
}

// A human-scaled duration: 850 ns, 45.2 us, 3.10 ms, 1.20 s.
std::string duration_text(uint64_t ns) {
    char text[32];
    if (ns < 1000) {
        std::snprintf(text, sizeof text, "%llu ns", static_cast<ull>(ns));
    } else if (ns < 1000000) {
        std::snprintf(text, sizeof text, "%.1f us", static_cast<double>(ns) / 1e3);
    } else if (ns < 1000000000) {
        std::snprintf(text, sizeof text, "%.2f ms", static_cast<double>(ns) / 1e6);
    } else {
        std::snprintf(text, sizeof text, "%.2f s", static_cast<double>(ns) / 1e9);
    }
    return text;
}

// A latency in --unit, or scaled as duration_text() when none was given.
std::string latency_text(uint64_t ns, Unit unit) {
    if (unit == Unit::Auto) return duration_text(ns);
    return delay_text(double(ns) / 1e3, unit) + " " + unit_name(unit);
}

}  // namespace

int exit_status(const Options& options, const Result& r) {
    if (r.attempted > 0 && r.connected == 0 && !(options.udp && r.ops > 0)) return kExitUnreachable;
    if (r.errors.total() || r.mismatched_bytes) return kExitErrors;
    // UDP chargen cannot tell a lost reply from a late one: an error there.
    if (!counts_datagrams(options) && r.losses) return kExitErrors;
    // Loss is a measurement, not an error, unless --max-loss says how much is.
    if (loss_exceeds(r.sent, r.losses, options.max_loss_pct)) return kExitErrors;
    return kExitOk;
}

int usage_error(const char* command, const std::string& error, const char* usage) {
    std::fprintf(stderr, "%s: %s\nusage: %s\n", command, error.c_str(), usage);
    return kExitUsage;
}

void print_summary(FILE* out, const Options& o, const Result& r) {
    std::fprintf(out, "smallprobe %s %s %s: %u %s", o.mode_name.c_str(), o.udp ? "udp" : "tcp",
                 o.target.c_str(), o.connections, o.udp ? "flows" : "connections");
    if (o.mode == Mode::Echo || o.mode == Mode::Discard)
        std::fprintf(out, ", %llu B", static_cast<ull>(o.size));
    if (o.depth > 1) std::fprintf(out, ", pipeline %u", o.depth);
    if (o.rate) std::fprintf(out, ", open loop %llu/s", static_cast<ull>(o.rate));
    std::fprintf(out, ", %.2f s\n", static_cast<double>(r.elapsed_ns) / 1e9);

    if (holds_connections(o)) {
        std::fprintf(
            out, "  connections  %llu of %llu established, %llu held to the end (fd limit %llu)\n",
            static_cast<ull>(r.connected), static_cast<ull>(r.attempted), static_cast<ull>(r.held),
            static_cast<ull>(r.fd_limit));
        if (o.mode == Mode::SlowRead)
            std::fprintf(out, "  unread       %llu bytes sent and never read back\n",
                         static_cast<ull>(r.bytes_sent));
    } else {
        std::fprintf(out, "  throughput   %llu %s, %s/s, out %s, in %s\n", static_cast<ull>(r.ops),
                     op_name(o), smalld::units::count(per_second(r.ops, r.elapsed_ns)).c_str(),
                     smalld::units::bit_rate(per_second(r.bytes_sent, r.elapsed_ns)).c_str(),
                     smalld::units::bit_rate(per_second(r.bytes_received, r.elapsed_ns)).c_str());
    }
    if (has_latency(o) && r.latency.count()) {
        std::fprintf(out, "  latency      p50 %s  p99 %s  p99.9 %s  max %s%s\n",
                     latency_text(r.latency.percentile(50), o.unit).c_str(),
                     latency_text(r.latency.percentile(99), o.unit).c_str(),
                     latency_text(r.latency.percentile(99.9), o.unit).c_str(),
                     latency_text(r.latency.max(), o.unit).c_str(),
                     o.rate ? "  (from intended send time)" : "");
    }
    if (counts_datagrams(o)) {
        // As ping and iperf3 put it; late replies are among the received.
        std::fprintf(out, "  datagrams    sent %llu, received %llu, lost %llu (%.3g%%)",
                     static_cast<ull>(r.sent), static_cast<ull>(r.received),
                     static_cast<ull>(r.losses), loss_percent(r.sent, r.losses));
        if (r.late || r.duplicates)
            std::fprintf(out, "; late %llu, duplicates %llu", static_cast<ull>(r.late),
                         static_cast<ull>(r.duplicates));
        if (loss_exceeds(r.sent, r.losses, o.max_loss_pct))
            std::fprintf(out, "; above --max-loss %g%%", o.max_loss_pct);
        std::fputc('\n', out);
    }
    const ErrorCounts& e = r.errors;
    // UDP chargen's unanswered requests stay among the errors.
    const uint64_t chargen_lost = counts_datagrams(o) ? 0 : r.losses;
    if (e.total() || r.mismatched_bytes || chargen_lost) {
        std::fprintf(out,
                     "  errors       refused %llu, reset %llu, closed %llu, timeout %llu, bad "
                     "reply %llu, other %llu; mismatched bytes %llu",
                     static_cast<ull>(e.refused), static_cast<ull>(e.reset),
                     static_cast<ull>(e.closed), static_cast<ull>(e.timeout),
                     static_cast<ull>(e.bad_reply), static_cast<ull>(e.other),
                     static_cast<ull>(r.mismatched_bytes));
        if (chargen_lost) std::fprintf(out, "; lost %llu", static_cast<ull>(chargen_lost));
        std::fputc('\n', out);
    } else {
        std::fprintf(out, "  errors       none\n");
    }
    const uint64_t per = holds_connections(o) ? r.held : r.ops;
    // Per operation when there were any, else the total, so nothing divides by zero.
    auto cpu_text = [per](uint64_t ns) {
        return per ? duration_text(ns / per) + "/op" : duration_text(ns) + " total";
    };
    std::fprintf(out, "  cpu          probe %s", cpu_text(r.probe_cpu_ns).c_str());
    if (r.have_server) std::fprintf(out, ", server %s", cpu_text(r.server_cpu_ns).c_str());
    std::fputc('\n', out);
    if (r.have_server) {
        std::fprintf(out, "  server rss   %llu KiB before, %llu KiB %s",
                     static_cast<ull>(r.server_rss_kb_before),
                     static_cast<ull>(r.server_rss_kb_held),
                     holds_connections(o) ? "while held" : "at the end");
        if (holds_connections(o) && r.held && r.server_rss_kb_held >= r.server_rss_kb_before)
            std::fprintf(out, " (%.0f B per connection)",
                         static_cast<double>(r.server_rss_kb_held - r.server_rss_kb_before) *
                             1024.0 / static_cast<double>(r.held));
        std::fputc('\n', out);
    }
}

void print_json(FILE* out, const Options& o, const Result& r) {
    const ErrorCounts& e = r.errors;
    const uint64_t per = holds_connections(o) ? r.held : r.ops;
    std::fputs("{\"mode\":", out);
    std::fputs(json_quoted(o.mode_name).c_str(), out);
    std::fprintf(out, ",\"proto\":\"%s\",\"target\":", o.udp ? "udp" : "tcp");
    std::fputs(json_quoted(o.target).c_str(), out);
    std::fprintf(
        out,
        ",\"connections\":%u,\"size\":%llu,\"pipeline\":%u,\"rate\":%llu,\"elapsed_s\":%.6f,"
        "\"ops\":%llu,\"ops_per_s\":%.1f,\"bytes_sent\":%llu,\"bytes_received\":%llu,"
        "\"bytes_per_s\":%.1f,",
        o.connections, static_cast<ull>(o.size), o.depth, static_cast<ull>(o.rate),
        static_cast<double>(r.elapsed_ns) / 1e9, static_cast<ull>(r.ops),
        per_second(r.ops, r.elapsed_ns), static_cast<ull>(r.bytes_sent),
        static_cast<ull>(r.bytes_received),
        per_second(r.bytes_sent + r.bytes_received, r.elapsed_ns));
    std::fprintf(
        out,
        "\"latency_us\":{\"count\":%llu,\"min\":%.3f,\"mean\":%.3f,\"p50\":%.3f,\"p99\":%.3f,"
        "\"p999\":%.3f,\"max\":%.3f},",
        static_cast<ull>(r.latency.count()), micros(r.latency.min()), r.latency.mean() / 1e3,
        micros(r.latency.percentile(50)), micros(r.latency.percentile(99)),
        micros(r.latency.percentile(99.9)), micros(r.latency.max()));
    std::fprintf(out,
                 "\"errors\":{\"total\":%llu,\"refused\":%llu,\"reset\":%llu,\"closed\":%llu,"
                 "\"timeout\":%llu,"
                 "\"bad_reply\":%llu,\"other\":%llu},\"mismatched_bytes\":%llu,\"losses\":%llu,"
                 "\"late\":%llu,",
                 static_cast<ull>(e.total()), static_cast<ull>(e.refused),
                 static_cast<ull>(e.reset), static_cast<ull>(e.closed), static_cast<ull>(e.timeout),
                 static_cast<ull>(e.bad_reply), static_cast<ull>(e.other),
                 static_cast<ull>(r.mismatched_bytes), static_cast<ull>(r.losses),
                 static_cast<ull>(r.late));
    if (counts_datagrams(o)) {
        std::fprintf(out,
                     "\"sent\":%llu,\"received\":%llu,\"lost\":%llu,\"loss_pct\":%.4f,"
                     "\"duplicates\":%llu,\"max_loss_pct\":",
                     static_cast<ull>(r.sent), static_cast<ull>(r.received),
                     static_cast<ull>(r.losses), loss_percent(r.sent, r.losses),
                     static_cast<ull>(r.duplicates));
        if (o.max_loss_pct >= 0)
            std::fprintf(out, "%g,", o.max_loss_pct);
        else
            std::fputs("null,", out);
    }
    std::fprintf(out, "\"attempted\":%llu,\"connected\":%llu,\"held\":%llu,\"fd_limit\":%llu,",
                 static_cast<ull>(r.attempted), static_cast<ull>(r.connected),
                 static_cast<ull>(r.held), static_cast<ull>(r.fd_limit));
    std::fprintf(out, "\"probe_cpu_us\":%.1f,\"probe_cpu_us_per_op\":%.4f", micros(r.probe_cpu_ns),
                 per ? micros(r.probe_cpu_ns) / static_cast<double>(per) : 0.0);
    if (r.have_server) {
        std::fprintf(
            out,
            ",\"server_cpu_us\":%.1f,\"server_cpu_us_per_op\":%.4f,\"server_rss_kb_before\":%llu,"
            "\"server_rss_kb_held\":%llu",
            micros(r.server_cpu_ns), per ? micros(r.server_cpu_ns) / static_cast<double>(per) : 0.0,
            static_cast<ull>(r.server_rss_kb_before), static_cast<ull>(r.server_rss_kb_held));
    }
    std::fprintf(out, ",\"exit\":%d}\n", exit_status(o, r));
}

}  // namespace smallprobe
