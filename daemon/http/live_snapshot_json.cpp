// SPDX-License-Identifier: BSD-2-Clause
// The live snapshot (live_snapshot.h) as /stats.json writes it and the page
// reads it. It leaves for a network client here, so here the privacy rule
// (privacy.h) applies.
#include <nlohmann/json.hpp>

#include "control_commands.h"
#include "live_history.h"
#include "live_page.h"
#include "live_snapshot.h"
#include "peers_report.h"
#include "privacy.h"
#include "render.h"

namespace smalld {

namespace {

nlohmann::json by_reason(const std::vector<LiveReasonCount>& counts) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& c : counts) out[c.reason] = stats_json_number(c.count);
    return out;
}

nlohmann::json row_json(const LiveRow& r) {
    return {{"instance", r.instance},
            {"type", r.type},
            {"proto", r.proto},
            {"listen", r.listen},
            {"open", r.open ? stats_json_number(*r.open) : nlohmann::json()},
            {"sessions_total", stats_json_number(r.sessions_total)},
            {"datagrams_in_total", stats_json_number(r.datagrams_in_total)},
            {"datagrams_out_total", stats_json_number(r.datagrams_out_total)},
            {"read_bytes_total", stats_json_number(r.read_bytes_total)},
            {"written_bytes_total", stats_json_number(r.written_bytes_total)},
            {"rates",
             {{"sessions", r.rates.sessions},
              {"datagrams", r.rates.datagrams},
              {"bytes", r.rates.bytes}}},
            {"refused", by_reason(r.refused)},
            {"dropped", by_reason(r.dropped)}};
}

// [le, count] pairs, le in seconds (null for +Inf), counts not cumulative.
nlohmann::json stamp_json(const LiveStampPanel& panel) {
    nlohmann::json processing = nlohmann::json::array();
    for (const auto& b : panel.processing)
        processing.push_back({b.le ? nlohmann::json(*b.le) : nlohmann::json(), b.count});
    nlohmann::json out = {{"instance", panel.instance},
                          {"processing", std::move(processing)},
                          {"reflected_rate", panel.reflected_rate}};
    for (const auto& [key, value] : panel.values) out[key] = value;
    return out;
}

}  // namespace

nlohmann::json live_snapshot_json(const ReadModel& model, const LiveHistory& history, bool details,
                                  bool with_sessions) {
    LiveSnapshot snapshot = live_snapshot(model, history.rates(), with_sessions);
    const StatusView& d = snapshot.daemon;
    nlohmann::json about = {
        {"version", d.version},
        {"pid", d.pid},
        {"state", d.state},
        {"uptime_seconds", d.uptime_seconds},
        {"last_reload",
         details ? d.last_reload : public_reload_result(d.last_reload, d.last_reload_errors)},
        {"last_reload_successful", snapshot.last_reload_successful}};
    nlohmann::json rows = nlohmann::json::array();
    for (const LiveRow& r : snapshot.rows) rows.push_back(row_json(r));
    nlohmann::json stamp = nlohmann::json::array();
    for (const LiveStampPanel& panel : snapshot.stamp) stamp.push_back(stamp_json(panel));
    nlohmann::json out = {{"version", kStatsJsonVersion},
                          {"daemon", std::move(about)},
                          {"rows", std::move(rows)},
                          {"series", history.series()},
                          {"problems", history.problems()},
                          {"stamp", std::move(stamp)},
                          {"stats", render_stats_json(*snapshot.stats, snapshot.open)}};
    bool sender = false;
    for (const auto& [name, record] : snapshot.stats->instances)
        sender |= record->type == ServiceType::StampSender;
    if (sender) {
        nlohmann::json peers = peers_json(*snapshot.stats, live_wall_ns());
        if (!details)
            for (auto& peer : peers) peer.erase("address");
        out["peers"] = std::move(peers);
    }
    if (snapshot.sessions) {
        nlohmann::json sessions = nlohmann::json::array();
        for (const SessionView& s : snapshot.sessions->oldest) {
            nlohmann::json session = session_json(s);
            if (!details) hide_peer(session);
            sessions.push_back(std::move(session));
        }
        out["sessions"] = std::move(sessions);
        out["sessions_open"] = snapshot.sessions->open;
    }
    return out;
}

}  // namespace smalld
