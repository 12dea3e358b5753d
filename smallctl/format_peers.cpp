// SPDX-License-Identifier: BSD-2-Clause
// `smallctl peers`: the stamp-sender's peers as a table, - where a figure
// is not known (no reply yet, nothing settled).
#include "format.h"
#include "units.h"

namespace smallctl {

namespace {

std::string seconds(const nlohmann::json& v) {
    return v.is_number() ? smalld::units::duration(v.get<double>()) : "-";
}

std::string percent(const nlohmann::json& v) {
    if (!v.is_number()) return "-";
    char buf[32];
    snprintf(buf, sizeof buf, "%.2f", v.get<double>());
    return buf;
}

}  // namespace

std::string format_peers(const nlohmann::json& d) {
    std::vector<std::vector<std::string>> rows;
    std::string first_service;
    bool several = false;
    for (const auto& p : d) {
        std::string service = p.value("service", "");
        if (first_service.empty()) first_service = service;
        several |= service != first_service;
    }
    for (const auto& p : d) {
        std::string name = p.value("peer", "");
        if (several) name = p.value("service", "") + "/" + name;
        const nlohmann::json null;
        rows.push_back({name, p.value("up", false) ? "up" : "down",
                        seconds(p.value("rtt_p50_seconds", null)),
                        seconds(p.value("rtt_p99_seconds", null)),
                        seconds(p.value("forward_p50_seconds", null)),
                        seconds(p.value("backward_p50_seconds", null)),
                        percent(p.value("loss_forward_pct", null)),
                        percent(p.value("loss_backward_pct", null)),
                        p.value("last_seen_seconds_ago", null).is_number()
                            ? seconds(p["last_seen_seconds_ago"]) + " ago"
                            : "never"});
    }
    if (rows.empty()) return "no peers\n";
    return render_table({"PEER", "UP", "RTT P50", "RTT P99", "FWD P50", "BWD P50", "LOSS% FWD",
                         "LOSS% BWD", "LAST SEEN"},
                        rows);
}

}  // namespace smallctl
