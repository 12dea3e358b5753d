// The status service's report: one screen of plain text for people. The
// operator's details (config path, last reload) only when asked for: the
// service answers anyone its ACL admits. SIGUSR1 logs the full report.
#include <unistd.h>

#include <cstdio>

#include "build_config.h"
#include "daemon.h"
#include "utf8.h"

namespace smalld {

namespace {

std::string format_uptime(double seconds) {
    auto s = static_cast<long long>(seconds);
    char buf[64];
    if (s >= 86400)
        snprintf(buf, sizeof buf, "%lldd %02lldh %02lldm %02llds", s / 86400, s / 3600 % 24,
                 s / 60 % 60, s % 60);
    else
        snprintf(buf, sizeof buf, "%02lldh %02lldm %02llds", s / 3600, s / 60 % 60, s % 60);
    return buf;
}

}  // namespace

std::string Daemon::status_report(bool details) const {
    std::string out;
    char line[256];
    snprintf(line, sizeof line, "smalld %s, pid %d, up %s, %s\r\n", SMALLD_VERSION, int(getpid()),
             format_uptime(stats_.uptime_seconds()).c_str(), state());
    out += line;
    if (details) {
        // The path and the error may hold any bytes; the report is UTF-8 text.
        out += "config " + escape_unprintable(config_.path) +
               ", last reload: " + escape_unprintable(last_reload_) + "\r\n";
    }
    snprintf(line, sizeof line, "TCP sessions: %llu open, %llu accepted\r\n\r\n",
             static_cast<unsigned long long>(stats_.conn_current),
             static_cast<unsigned long long>(stats_.conn_accepted_total));
    out += line;
    snprintf(line, sizeof line, "%-16s %-8s %8s %10s %10s %10s %9s\r\n", "instance", "type",
             "tcp open", "tcp total", "udp in", "udp out", "refused");
    out += line;
    for (const auto& [name, record] : stats_.instances) {
        if (!record->configured && record->tcp.sessions_current == 0) continue;
        uint64_t refused = 0;
        for (auto n : record->tcp.rejected) refused += n;
        for (auto n : record->udp.dropped) refused += n;
        snprintf(line, sizeof line, "%-16s %-8s %8llu %10llu %10llu %10llu %9llu\r\n", name.c_str(),
                 to_string(record->type),
                 static_cast<unsigned long long>(record->tcp.sessions_current),
                 static_cast<unsigned long long>(record->tcp.sessions_total),
                 static_cast<unsigned long long>(record->udp.datagrams_in),
                 static_cast<unsigned long long>(record->udp.datagrams_out),
                 static_cast<unsigned long long>(refused));
        out += line;
    }
    return out;
}

}  // namespace smalld
