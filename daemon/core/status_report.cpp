// SPDX-License-Identifier: BSD-2-Clause
// The status service's report: one screen of plain text for people. The
// operator's details (config path, last reload) only when asked for: the
// service answers anyone its ACL admits. SIGUSR1 logs the full report.
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string_view>

#include "build_config.h"
#include "daemon.h"
#include "units.h"
#include "utf8.h"

namespace smalld {

namespace {

// One row of the table, from the samples of an instance.
struct Row {
    std::string_view type;
    double tcp_open = 0, tcp_total = 0, udp_in = 0, udp_out = 0, refused = 0;
};

}  // namespace

// From visit_stats(), like the JSON and Prometheus renderers: the same numbers.
std::string Daemon::status_report(bool details) const {
    double uptime = stats_.uptime_seconds(), open = 0, accepted = 0;
    std::map<std::string_view, Row> rows;  // by instance name
    visit_stats(
        stats_, open_sessions(),
        [&](const StatSample& s) {
            if (s.instance.empty()) {
                if (s.key == "conn.current") open = s.value;
                if (s.key == "conn.accepted_total") accepted = s.value;
                return;
            }
            Row& row = rows[s.instance];
            row.type = s.type;
            bool tcp = s.proto == "tcp";
            if (tcp && s.key == "sessions_current") row.tcp_open = s.value;
            if (tcp && s.key == "sessions_total") row.tcp_total = s.value;
            if (!tcp && s.key == "datagrams_in_total") row.udp_in = s.value;
            if (!tcp && s.key == "datagrams_out_total") row.udp_out = s.value;
            if (s.key == "conn.rejected_total" || s.key == "datagrams_dropped_total")
                row.refused += s.value;
        },
        PeerSamples::Skip);
    auto n = [](double v) { return static_cast<unsigned long long>(v); };
    std::string out;
    char line[256];
    snprintf(line, sizeof line, "smalld %s, pid %d, up %s, %s\r\n", SMALLD_VERSION, int(getpid()),
             units::duration(uptime).c_str(), state());
    out += line;
    if (details) {
        // The path and the error may hold any bytes; the report is UTF-8 text.
        out += "config " + escape_unprintable(config_.path) +
               ", last reload: " + escape_unprintable(last_reload_) + "\r\n";
    }
    snprintf(line, sizeof line, "TCP sessions: %llu open, %llu accepted\r\n\r\n", n(open),
             n(accepted));
    out += line;
    snprintf(line, sizeof line, "%-16s %-8s %8s %10s %10s %10s %9s\r\n", "instance", "type",
             "tcp open", "tcp total", "udp in", "udp out", "refused");
    out += line;
    for (const auto& [name, row] : rows) {
        // An instance a reload removed shows while its last sessions run.
        auto record = stats_.instances.find(name);
        if (record != stats_.instances.end() && !record->second->configured && row.tcp_open == 0)
            continue;
        snprintf(line, sizeof line, "%-16.*s %-8.*s %8llu %10llu %10llu %10llu %9llu\r\n",
                 int(name.size()), name.data(), int(row.type.size()), row.type.data(),
                 n(row.tcp_open), n(row.tcp_total), n(row.udp_in), n(row.udp_out), n(row.refused));
        out += line;
    }
    return out;
}

}  // namespace smalld
