// SPDX-License-Identifier: BSD-2-Clause
// The live page's snapshot from the read model: one walk of visit_stats for
// the rows and the STAMP panel, the listeners for what is served, and the
// oldest sessions (a partial sort in the model, not a sort of all).
#include "live_snapshot.h"

#include <algorithm>
#include <map>
#include <string_view>

namespace smalld {

namespace {

// What visit_stats says of one instance's protocol.
struct ProtoSeen {
    std::map<std::string, double, std::less<>> values;
    std::vector<LiveReasonCount> refused;  // the reasons that happened
    std::vector<LiveReasonCount> dropped;

    double value(std::string_view key) const {
        auto it = values.find(key);
        return it != values.end() ? it->second : 0.0;
    }
};

struct InstanceSeen {
    std::string type;
    ProtoSeen tcp;
    ProtoSeen udp;
};

// The STAMP panel: per stamp instance, what it reflects now and in all, its
// sessions open and failed authentications, and its processing-time
// histogram, not cumulative.
void note_stamp(const StatSample& v, std::map<std::string, LiveStampPanel>& panels,
                uint64_t& previous) {
    auto [it, fresh] = panels.try_emplace(std::string(v.instance));
    LiveStampPanel& panel = it->second;
    if (fresh) {
        panel.instance = v.instance;
        previous = 0;
    }
    if (v.key == "stamp.processing_seconds_bucket") {
        auto cumulative = uint64_t(v.value);
        std::optional<double> le;
        if (v.le != "+Inf") le = std::stod(std::string(v.le));
        panel.processing.push_back({le, cumulative - std::min(cumulative, previous)});
        previous = cumulative;
    } else if (v.key == "stamp.processing_seconds_sum" ||
               v.key == "stamp.processing_seconds_count" || v.key == "stamp.reflected_total" ||
               v.key == "stamp.auth_failures_total" || v.key == "stamp.sessions_current") {
        panel.values[std::string(v.key.substr(6))] = v.value;
    }
}

LiveRow make_row(const std::string& instance, const InstanceSeen& seen, const char* proto,
                 const LiveRates& rates) {
    bool tcp = std::string_view(proto) == "tcp";
    const ProtoSeen& p = tcp ? seen.tcp : seen.udp;
    LiveRow r;
    r.instance = instance;
    r.type = seen.type;
    r.proto = proto;
    if (tcp) r.open = p.value("sessions_current");
    r.sessions_total = p.value("sessions_total");
    r.datagrams_in_total = p.value("datagrams_in_total");
    r.datagrams_out_total = p.value("datagrams_out_total");
    r.read_bytes_total = p.value("read_bytes_total");
    r.written_bytes_total = p.value("written_bytes_total");
    if (auto it = rates.find({instance, proto}); it != rates.end()) r.rates = it->second;
    r.refused = p.refused;
    r.dropped = p.dropped;
    return r;
}

}  // namespace

LiveSnapshot live_snapshot(const ReadModel& model, const LiveRates& rates, bool sessions) {
    LiveSnapshot out;
    out.daemon = model.status_view();
    out.stats = &model.stats();
    out.open = model.open_sessions();
    out.last_reload_successful = out.stats->config_last_reload_successful;

    std::map<std::string, InstanceSeen> instances;
    std::map<std::string, LiveStampPanel> panels;
    uint64_t previous_bucket = 0;
    visit_stats(
        *out.stats, out.open,
        [&](const StatSample& v) {
            if (v.instance.empty()) return;
            InstanceSeen& seen = instances[std::string(v.instance)];
            seen.type = v.type;
            if (v.key.starts_with("stamp.")) note_stamp(v, panels, previous_bucket);
            if (v.proto != "tcp" && v.proto != "udp") return;
            ProtoSeen& p = v.proto == "tcp" ? seen.tcp : seen.udp;
            if (v.reason.empty()) {
                if (v.le.empty()) p.values[std::string(v.key)] = v.value;
            } else if (v.value > 0 && v.key == "conn.rejected_total") {
                p.refused.push_back({std::string(v.reason), v.value});
            } else if (v.value > 0 && v.key == "datagrams_dropped_total") {
                p.dropped.push_back({std::string(v.reason), v.value});
            }
        },
        PeerSamples::Skip);

    // What is served, from the listeners; a removed instance with traffic
    // still shows until its series go.
    std::map<LiveRowKey, std::vector<std::string>> served;
    for (const ListenerView& l : model.listener_views()) {
        std::string host = l.address;
        if (host.find(':') != std::string::npos) host = "[" + host + "]";
        served[{l.instance, l.proto}].push_back(host + ":" + std::to_string(l.port));
    }
    for (const auto& [name, seen] : instances)
        for (const char* proto : {"tcp", "udp"}) {
            LiveRow r = make_row(name, seen, proto, rates);
            auto it = served.find({name, proto});
            bool traffic = r.sessions_total > 0 || r.datagrams_in_total > 0 || !r.refused.empty() ||
                           !r.dropped.empty();
            if (it == served.end() && !traffic) continue;
            if (it != served.end()) r.listen = it->second;
            out.rows.push_back(std::move(r));
        }

    for (auto& [name, panel] : panels) {
        for (const auto& [row, rate] : rates)
            if (row.first == name) panel.reflected_rate += rate.reflected;
        out.stamp.push_back(std::move(panel));
    }
    if (sessions) out.sessions = model.session_views(kLiveSessionsShown);
    return out;
}

}  // namespace smalld
