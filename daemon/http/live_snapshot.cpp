// SPDX-License-Identifier: BSD-2-Clause
// The live page's snapshot: the numbers of render_stats_json() and the
// replies of the control socket's read-only commands, arranged per instance
// and protocol for the page's tables. It leaves for a network client here,
// so here the privacy rule (privacy.h) applies.
#include <algorithm>
#include <set>

#include "control_commands.h"
#include "daemon.h"
#include "live_history.h"
#include "live_page.h"
#include "privacy.h"
#include "render.h"
#include "stats.h"

namespace smalld {

namespace {

nlohmann::json run_command(Daemon& daemon, const std::string& name) {
    CommandMatch match = find_command({name});
    if (!match.command) return nullptr;
    return match.command->run(daemon, match.args).data;
}

double number_at(const nlohmann::json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_number() ? it->get<double>() : 0.0;
}

// The value as render_stats_json wrote it (counters stay integers), or 0.
nlohmann::json value_at(const nlohmann::json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_number() ? *it : nlohmann::json(0);
}

// {"acl": 2, "rate": 0} -> {"acl": 2}: the page lists the reasons that happened.
nlohmann::json nonzero(const nlohmann::json& by_reason) {
    nlohmann::json out = nlohmann::json::object();
    if (!by_reason.is_object()) return out;
    for (const auto& [reason, count] : by_reason.items())
        if (count.is_number() && count.get<double>() > 0) out[reason] = count;
    return out;
}

nlohmann::json row(const std::string& instance, const nlohmann::json& entry,
                   const std::string& proto, const nlohmann::json& rates,
                   const nlohmann::json& listen) {
    const nlohmann::json& p = entry.contains(proto) ? entry[proto] : nlohmann::json::object();
    nlohmann::json rate = nlohmann::json::object();
    if (rates.contains(instance) && rates[instance].contains(proto)) rate = rates[instance][proto];
    bool tcp = proto == "tcp";
    return {{"instance", instance},
            {"type", entry.value("type", "")},
            {"proto", proto},
            {"listen", listen},
            {"open", tcp ? value_at(p, "sessions_current") : nullptr},
            {"sessions_total", value_at(p, "sessions_total")},
            {"datagrams_in_total", value_at(p, "datagrams_in_total")},
            {"datagrams_out_total", value_at(p, "datagrams_out_total")},
            {"read_bytes_total", value_at(p, "read_bytes_total")},
            {"written_bytes_total", value_at(p, "written_bytes_total")},
            {"rates",
             {{"sessions", number_at(rate, "sessions")},
              {"datagrams", number_at(rate, "datagrams")},
              {"bytes", number_at(rate, "bytes")}}},
            {"refused", nonzero(p.value("/conn/rejected_total"_json_pointer, nlohmann::json()))},
            {"dropped", nonzero(p.value("datagrams_dropped_total", nlohmann::json()))}};
}

// The STAMP panel: per stamp instance, what it reflects now and in all, its
// sessions open and failed authentications, and its processing-time
// histogram as [le, count] pairs (not cumulative; le in seconds, null for +Inf).
nlohmann::json stamp_panel(Daemon& daemon, const LiveHistory& history) {
    std::map<std::string, nlohmann::json> by_instance;
    uint64_t previous = 0;
    visit_stats(daemon.stats(), daemon.open_sessions(), [&](const StatSample& v) {
        if (v.instance.empty() || !v.key.starts_with("stamp.")) return;
        nlohmann::json& entry = by_instance[std::string(v.instance)];
        if (entry.is_null()) {
            entry = {{"instance", v.instance}, {"processing", nlohmann::json::array()}};
            previous = 0;
        }
        if (v.key == "stamp.processing_seconds_bucket") {
            auto cumulative = uint64_t(v.value);
            nlohmann::json le =
                v.le == "+Inf" ? nlohmann::json() : nlohmann::json(std::stod(std::string(v.le)));
            entry["processing"].push_back({le, cumulative - std::min(cumulative, previous)});
            previous = cumulative;
        } else if (v.key == "stamp.processing_seconds_sum" ||
                   v.key == "stamp.processing_seconds_count" || v.key == "stamp.reflected_total" ||
                   v.key == "stamp.auth_failures_total" || v.key == "stamp.sessions_current") {
            entry[std::string(v.key.substr(6))] = v.value;
        }
    });
    std::map<std::string, double> rates = history.reflected_rates();
    nlohmann::json out = nlohmann::json::array();
    for (auto& [name, entry] : by_instance) {
        entry["reflected_rate"] = rates.count(name) ? rates[name] : 0.0;
        out.push_back(std::move(entry));
    }
    return out;
}

}  // namespace

nlohmann::json live_snapshot(Daemon& daemon, const LiveHistory& history, bool details,
                             bool with_sessions) {
    nlohmann::json status = run_command(daemon, "status");
    nlohmann::json stats = render_stats_json(daemon.stats(), daemon.open_sessions());
    nlohmann::json rates = history.rates();

    // What is served, from the listeners; a removed instance with traffic
    // still shows until its series go.
    std::map<std::pair<std::string, std::string>, nlohmann::json> served;
    nlohmann::json listeners = run_command(daemon, "listeners");
    if (listeners.is_array())
        for (const auto& l : listeners) {
            auto& list = served[{l.value("instance", ""), l.value("proto", "")}];
            if (list.is_null()) list = nlohmann::json::array();
            std::string host = l.value("address", "");
            if (host.find(':') != std::string::npos) host = "[" + host + "]";
            list.push_back(host + ":" + std::to_string(l.value("port", 0)));
        }
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& [instance, entry] : stats["instances"].items())
        for (const std::string proto : {"tcp", "udp"}) {
            auto it = served.find({instance, proto});
            nlohmann::json r = row(instance, entry, proto, rates,
                                   it != served.end() ? it->second : nlohmann::json::array());
            bool traffic = r["sessions_total"].get<double>() > 0 ||
                           r["datagrams_in_total"].get<double>() > 0 || !r["refused"].empty() ||
                           !r["dropped"].empty();
            if (it != served.end() || traffic) rows.push_back(std::move(r));
        }

    nlohmann::json sessions = with_sessions ? run_command(daemon, "conns") : nlohmann::json();
    size_t open = sessions.is_array() ? sessions.size() : 0;
    if (sessions.is_array() && sessions.size() > kLiveSessionsShown)
        sessions.erase(sessions.begin() + kLiveSessionsShown, sessions.end());
    if (!details && sessions.is_array())
        for (auto& session : sessions) hide_peer(session);

    nlohmann::json about = nlohmann::json::object();
    for (const char* key : {"version", "pid", "state", "uptime_seconds", "last_reload"})
        if (status.contains(key)) about[key] = status[key];
    if (!details)
        about["last_reload"] =
            public_reload_result(daemon.last_reload(), daemon.last_reload_errors());
    about["last_reload_successful"] =
        stats.value("/config/last_reload_successful"_json_pointer, 0) > 0;
    nlohmann::json out = {{"version", kStatsJsonVersion},   {"daemon", std::move(about)},
                          {"rows", std::move(rows)},        {"series", history.series()},
                          {"problems", history.problems()}, {"stamp", stamp_panel(daemon, history)},
                          {"stats", std::move(stats)}};
    if (with_sessions) {
        out["sessions"] = sessions.is_array() ? sessions : nlohmann::json::array();
        out["sessions_open"] = open;
    }
    return out;
}

}  // namespace smalld
