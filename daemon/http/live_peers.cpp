// SPDX-License-Identifier: BSD-2-Clause
// The live page's peers panel: the stamp-sender's peers (peers_report.h) as
// the snapshot has them, those down or losing packets first, each with
// sparklines of its RTT p50 and loss over the history (live_history.h). The
// page's script swaps it in with the rest of the page each second.

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "clock.h"
#include "live_page.h"

namespace smalld {

namespace {

constexpr auto field = live_member;

std::string str(const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : "";
}

// A figure in its unit, or an em dash when it is not known (null).
std::string figure(const nlohmann::json& value, std::string (*format)(double)) {
    return value.is_number() ? format(value.get<double>()) : "\u2014";
}

std::string percent(double value) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.3g%%", value);
    return buf;
}

bool losing(const nlohmann::json& peer) {
    for (const char* key : {"loss_forward_pct", "loss_backward_pct"})
        if (field(peer, key).is_number() && field(peer, key).get<double>() > 0) return true;
    return false;
}

bool trouble(const nlohmann::json& peer) {
    return !(field(peer, "up").is_boolean() && field(peer, "up").get<bool>()) || losing(peer);
}

std::string cell(const char* name, const std::string& content, const char* cls = "num") {
    return std::string("<td class=\"") + cls + "\" data-field=\"" + name + "\">" +
           html_escape(content) + "</td>";
}

}  // namespace

int64_t live_wall_ns() {
    return clock_ns(CLOCK_REALTIME);
}

std::string render_peers_panel(const nlohmann::json& snapshot) {
    const nlohmann::json& peers = field(snapshot, "peers");
    if (!peers.is_array()) return "";
    const nlohmann::json& series = field(field(snapshot, "series"), "peers");
    size_t slots = 0;
    if (const nlohmann::json& n = field(field(snapshot, "series"), "slots"); n.is_number())
        slots = n.get<size_t>();
    std::vector<const nlohmann::json*> rows;
    for (const auto& p : peers) rows.push_back(&p);
    std::stable_sort(rows.begin(), rows.end(),
                     [](auto* a, auto* b) { return trouble(*a) && !trouble(*b); });
    std::string out =
        "<section class=\"card\" id=\"peers-card\">\n<h2>Peers <small>down or losing "
        "first; RTT over the sender's window</small></h2>\n<div class=\"scroll\">"
        "<table id=\"peers\">\n<thead><tr><th>service</th><th>peer</th><th>up</th>"
        "<th>RTT p50</th><th>RTT p99</th><th>forward p50</th><th>backward p50</th>"
        "<th>loss forward</th><th>loss backward</th><th>last seen</th><th>RTT p50, loss "
        "<small>last 5 min</small></th></tr></thead>\n<tbody>\n";
    static const nlohmann::json none = nlohmann::json::array();
    for (const nlohmann::json* row : rows) {
        const nlohmann::json& p = *row;
        std::string key = str(field(p, "service")) + "/" + str(field(p, "peer"));
        bool up = field(p, "up").is_boolean() && field(p, "up").get<bool>();
        out += "<tr data-peer=\"" + html_escape(key) + "\"" + (trouble(p) ? " class=\"hot\"" : "") +
               ">";
        out += cell("service", str(field(p, "service")), "name");
        std::string address = str(field(p, "address"));  // absent without details
        out += "<td class=\"name\" data-field=\"peer\">" + html_escape(str(field(p, "peer"))) +
               (address.empty() ? "" : "<div class=\"addr\">" + html_escape(address) + "</div>") +
               "</td>";
        out += cell("up", up ? "up" : "down", up ? "why" : "why bad");
        for (const char* k :
             {"rtt_p50_seconds", "rtt_p99_seconds", "forward_p50_seconds", "backward_p50_seconds"})
            out += cell(k, figure(field(p, k), units::duration));
        for (const char* k : {"loss_forward_pct", "loss_backward_pct"})
            out +=
                cell(k, figure(field(p, k), percent),
                     field(p, k).is_number() && field(p, k).get<double>() > 0 ? "num bad" : "num");
        const nlohmann::json& seen = field(p, "last_seen_seconds_ago");
        out += cell("last_seen",
                    seen.is_number() ? units::duration(seen.get<double>()) + " ago" : "never");
        const nlohmann::json& s = field(series, key.c_str());
        const nlohmann::json& rtt = field(s, "rtt");
        const nlohmann::json& loss = field(s, "loss");
        std::string id = "spark-peer-" + key;
        std::replace(id.begin(), id.end(), '/', '-');
        out += "<td><details class=\"spark\" id=\"" + html_escape(id) +
               "\"><summary>last 5 min</summary>" +
               render_chart("", "", units::duration, {{"RTT p50", rtt.is_array() ? &rtt : &none}},
                            slots) +
               render_chart("", "", percent,
                            {{"loss % of the packets settled", loss.is_array() ? &loss : &none}},
                            slots) +
               "</details></td></tr>\n";
    }
    if (rows.empty())
        out += "<tr><td colspan=\"11\" class=\"empty\">no peers configured</td></tr>\n";
    return out + "</tbody></table></div>\n</section>\n";
}

}  // namespace smalld
