// SPDX-License-Identifier: BSD-2-Clause
// The live page as the daemon renders it, problems first: the header's
// badge (drops, refusals, failed authentications and reloads over the last
// five minutes, linking to the row), the instances with their drops and
// refusals before the totals (those with problems first), then the charts,
// the stamp-sender's peers, the STAMP panel, the sessions and the events. The page's script polls
// this same rendering and swaps its parts in, so there is one renderer.
#include "live_page.h"

#include <algorithm>
#include <cstdio>

namespace smalld {

const nlohmann::json& live_member(const nlohmann::json& object, const char* key) {
    static const nlohmann::json none;
    if (!object.is_object()) return none;
    auto it = object.find(key);
    return it != object.end() ? *it : none;
}

namespace {

constexpr auto member = live_member;

double number(const nlohmann::json& value) {
    return value.is_number() ? value.get<double>() : 0.0;
}

std::string text(const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : value.is_null() ? "" : value.dump();
}

std::string exact(const nlohmann::json& value) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.0f", number(value));
    return value.is_number() ? buf : "\u2014";
}

// "acl 2, rate 1", or an em dash.
std::string reasons(const nlohmann::json& by_reason) {
    std::string out;
    if (by_reason.is_object())
        for (const auto& [reason, n] : by_reason.items())
            out += (out.empty() ? "" : ", ") + reason + " " + units::count(number(n));
    return out.empty() ? "\u2014" : out;
}

std::string td(const char* field, const char* label, const std::string& content,
               const char* cls = "num", const std::string& exact_value = "") {
    std::string out = std::string("<td class=\"") + cls + "\" data-field=\"" + field +
                      "\" data-label=\"" + label + "\"";
    if (!exact_value.empty())
        out += " data-value=\"" + html_escape(exact_value) + "\" title=\"" +
               html_escape(exact_value) + "\"";
    return out + ">" + html_escape(content) + "</td>";
}

std::string row_id(const std::string& key) {
    std::string id = "row-" + key;
    std::replace(id.begin(), id.end(), '/', '-');
    return id;
}

double trouble(const nlohmann::json& problems, const std::string& key) {
    const nlohmann::json& r = member(member(problems, "rows"), key.c_str());
    return number(member(r, "dropped")) + number(member(r, "refused"));
}

std::string instance_rows(const nlohmann::json& snapshot) {
    const nlohmann::json& problems = member(snapshot, "problems");
    const nlohmann::json& row_series = member(member(snapshot, "series"), "rows");
    size_t slots = size_t(number(member(member(snapshot, "series"), "slots")));
    std::vector<const nlohmann::json*> rows;
    for (const auto& r : member(snapshot, "rows")) rows.push_back(&r);
    // Those with drops or refusals in the window first, the most first.
    auto key = [](const nlohmann::json* r) {
        return text(member(*r, "instance")) + "/" + text(member(*r, "proto"));
    };
    std::stable_sort(rows.begin(), rows.end(), [&](auto* a, auto* b) {
        return trouble(problems, key(a)) > trouble(problems, key(b));
    });
    std::string out;
    for (const nlohmann::json* row : rows) {
        const nlohmann::json& r = *row;
        std::string k = key(row);
        std::string listen;
        for (const auto& address : member(r, "listen"))
            listen += (listen.empty() ? "" : " ") + text(address);
        const nlohmann::json& rates = member(r, "rates");
        bool hot = trouble(problems, k) > 0;
        out += "<tr id=\"" + html_escape(row_id(k)) + "\" data-row=\"" + html_escape(k) + "\"" +
               (hot ? " class=\"hot\"" : "") + ">";
        out += "<th scope=\"row\"><span data-field=\"instance\">" +
               html_escape(text(member(r, "instance"))) + "</span> <small>" +
               html_escape(text(member(r, "type"))) + "</small> <span class=\"tag\">" +
               html_escape(text(member(r, "proto"))) +
               "</span><div class=\"addr\" data-field=\"listen\">" +
               html_escape(listen.empty() ? "not listening" : listen) +
               "</div><details class=\"spark\" id=\"spark-" + html_escape(row_id(k)) +
               "\"><summary>last 5 min</summary>" +
               render_sparkline(member(row_series, k.c_str()), slots) + "</details></th>";
        bool refused = !member(r, "refused").empty(), dropped = !member(r, "dropped").empty();
        out += td("dropped", "dropped", reasons(member(r, "dropped")), dropped ? "why bad" : "why");
        out += td("refused", "refused", reasons(member(r, "refused")), refused ? "why bad" : "why");
        const nlohmann::json& open = member(r, "open");
        out += td("open", "open", open.is_null() ? "\u2014" : units::count(number(open)), "num",
                  open.is_null() ? "" : exact(open));
        out += td("sessions_rate", "sessions/s", units::count(number(member(rates, "sessions"))));
        out +=
            td("datagrams_rate", "datagrams/s", units::count(number(member(rates, "datagrams"))));
        out += td("bytes_rate", "traffic", units::bit_rate(number(member(rates, "bytes"))), "num",
                  exact(member(rates, "bytes")) + " bytes/s");
        for (auto [field, label] : {std::pair{"sessions_total", "sessions"},
                                    {"datagrams_in_total", "datagrams in"},
                                    {"datagrams_out_total", "datagrams out"}})
            out += td(field, label, units::count(number(member(r, field))), "num",
                      exact(member(r, field)));
        for (auto [field, label] :
             {std::pair{"read_bytes_total", "bytes in"}, {"written_bytes_total", "bytes out"}})
            out += td(field, label, units::bytes(number(member(r, field))), "num",
                      exact(member(r, field)));
        out += "</tr>\n";
    }
    if (out.empty()) out = "<tr><td colspan=\"12\" class=\"empty\">no instances</td></tr>\n";
    return out;
}

std::string session_rows(const nlohmann::json& sessions) {
    std::string out;
    for (const auto& s : sessions) {
        const nlohmann::json& peer = member(s, "peer");  // absent without details
        out += "<tr data-session=\"" + html_escape(exact(member(s, "id"))) + "\">";
        out += td("id", "id", exact(member(s, "id")));
        out += td("instance", "instance", text(member(s, "instance")), "name");
        out += td("peer", "peer", peer.is_null() ? "\u2014" : text(peer), "addr");
        out += td("local", "local", text(member(s, "local")), "addr");
        out += td("age", "age", units::duration(number(member(s, "age_seconds"))));
        out += td("idle", "idle", units::duration(number(member(s, "idle_seconds"))));
        out += td("bytes_in", "bytes in", units::bytes(number(member(s, "bytes_in"))), "num",
                  exact(member(s, "bytes_in")));
        out += td("bytes_out", "bytes out", units::bytes(number(member(s, "bytes_out"))), "num",
                  exact(member(s, "bytes_out")));
        out += "</tr>\n";
    }
    if (out.empty()) out = "<tr><td colspan=\"8\" class=\"empty\">no open sessions</td></tr>\n";
    return out;
}

// The header's badge: what went wrong in the window, linking to where.
std::string badge(const nlohmann::json& snapshot) {
    const nlohmann::json& p = member(snapshot, "problems");
    double dropped = number(member(p, "dropped")), refused = number(member(p, "refused"));
    double auth = number(member(p, "auth_failures")), reloads = number(member(p, "reloads_failed"));
    std::string parts, target = "#instances";
    auto add = [&](double n, const char* what) {
        if (n > 0) parts += (parts.empty() ? "" : " \u00b7 ") + units::count(n) + " " + what;
    };
    add(dropped, "dropped");
    add(refused, "refused");
    add(auth, "auth failures");
    add(reloads, reloads == 1 ? "failed reload" : "failed reloads");
    double worst = 0;
    for (const auto& [key, r] : member(p, "rows").items())
        if (number(member(r, "dropped")) + number(member(r, "refused")) > worst) {
            worst = number(member(r, "dropped")) + number(member(r, "refused"));
            target = "#" + row_id(key);
        }
    if (worst == 0 && auth > 0) target = "#stamp-card";
    if (worst == 0 && auth == 0 && reloads > 0) target = "#last-reload";
    const char* level = dropped > 0 || auth > 0 || reloads > 0 ? "bad"
                        : refused > 0                          ? "warn"
                                                               : "ok";
    std::string window = units::duration(number(member(p, "seconds")));
    std::string words = parts.empty() ? "no drops or refusals" : parts;
    return "<a id=\"badge\" class=\"badge " + std::string(level) + "\" href=\"" +
           html_escape(target) + "\" title=\"over the last " + html_escape(window) +
           " (at most 5 min)\">" + html_escape(words) + " <small>last 5 min</small></a>\n";
}

std::string stamp_panel(const nlohmann::json& stamp) {
    if (!stamp.is_array() || stamp.empty()) return "";
    std::string out = "<section class=\"card\" id=\"stamp-card\">\n<h2>STAMP reflector</h2>\n";
    for (const auto& s : stamp) {
        double count = number(member(s, "processing_seconds_count"));
        double sum = number(member(s, "processing_seconds_sum"));
        out += "<div class=\"stamp\" data-stamp=\"" + html_escape(text(member(s, "instance"))) +
               "\"><h3>" + html_escape(text(member(s, "instance"))) + "</h3><dl>";
        auto item = [&](const char* field, const char* label, const std::string& value,
                        const std::string& exact_value = "") {
            out += std::string("<div><dt>") + label + "</dt><dd data-field=\"" + field + "\"" +
                   (exact_value.empty() ? "" : " title=\"" + html_escape(exact_value) + "\"") +
                   ">" + html_escape(value) + "</dd></div>";
        };
        item("reflected_rate", "reflected/s", units::count(number(member(s, "reflected_rate"))));
        item("reflected_total", "reflected", units::count(number(member(s, "reflected_total"))),
             exact(member(s, "reflected_total")));
        item("sessions_current", "sessions open", exact(member(s, "sessions_current")));
        item("auth_failures_total", "auth failures",
             units::count(number(member(s, "auth_failures_total"))),
             exact(member(s, "auth_failures_total")));
        item("processing_mean", "mean processing",
             count > 0 ? units::duration(sum / count) : "\u2014 (none yet)");
        out += "</dl>" + render_histogram(member(s, "processing")) + "</div>\n";
    }
    return out + "</section>\n";
}

}  // namespace

std::string html_escape(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (char c : in) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string live_page_policy(std::string_view nonce) {
    std::string n(nonce);
    return "default-src 'none'; script-src 'nonce-" + n + "'; style-src 'nonce-" + n +
           "'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
           "frame-ancestors 'none'";
}

std::string render_live_page(const nlohmann::json& snapshot, std::string_view nonce) {
    const nlohmann::json& about = member(snapshot, "daemon");
    const nlohmann::json& series = member(snapshot, "series");
    std::string n = html_escape(nonce);
    const nlohmann::json& last = member(about, "last_reload");
    std::string reload = last.is_null() ? "none" : text(last);
    bool reload_ok = !member(about, "last_reload_successful").is_boolean() ||
                     member(about, "last_reload_successful").get<bool>();
    std::string state = member(about, "state").is_null() ? "running" : text(member(about, "state"));
    double uptime = number(member(about, "uptime_seconds"));
    std::string out =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<title>smalld live</title>\n<link rel=\"icon\" href=\"favicon.svg\" "
        "type=\"image/svg+xml\">\n<style nonce=\"" +
        n + "\">";
    out += kLivePageStyle;
    out += "</style>\n</head>\n<body>\n<header>\n<h1>smalld <small>" +
           html_escape(text(member(about, "version"))) + "</small></h1>\n";
    out += "<div id=\"summary\" data-uptime=\"" + exact(member(about, "uptime_seconds")) + "\">\n";
    out += badge(snapshot);
    out += "<span id=\"state\" class=\"pill " + std::string(state == "running" ? "ok" : "bad") +
           "\">" + html_escape(state) + "</span>\n";
    out += "<span>up <b id=\"uptime\">" + html_escape(units::duration(uptime)) + "</b></span>\n";
    out += "<span>last reload <b id=\"last-reload\" class=\"" +
           std::string(reload_ok ? "good" : "bad") + "\">" + html_escape(reload) + "</b></span>\n";
    out +=
        "</div>\n<span id=\"live\" class=\"pill off\" title=\"updates need JavaScript\">static"
        "</span>\n</header>\n<main>\n<div id=\"parts\">\n";
    out +=
        "<section class=\"card\" id=\"instances-card\">\n<h2>Instances <small>drops and "
        "refusals first; hover a figure for its exact value</small></h2>\n"
        "<table id=\"instances\">\n<thead><tr>"
        "<th>instance</th><th>dropped</th><th>refused</th><th>open</th>"
        "<th>sessions/s</th><th>datagrams/s</th><th>traffic</th><th>sessions</th>"
        "<th>datagrams in</th><th>datagrams out</th><th>bytes in</th><th>bytes out</th>"
        "</tr></thead>\n<tbody>\n";
    out += instance_rows(snapshot);
    out += "</tbody></table>\n</section>\n<section class=\"charts\">\n";
    size_t slots = size_t(number(member(series, "slots")));
    std::vector<ChartSeries> problems;
    for (const auto& [reason, values] : member(series, "problems").items())
        problems.push_back({reason, &values});
    static const nlohmann::json none = nlohmann::json::array();
    if (problems.empty()) problems.push_back({"none in the last 5 min", &none});
    out += render_chart("problems", "Drops and refusals /s", units::count, problems, slots);
    auto one = [&](const char* key) {
        const nlohmann::json& v = member(series, key);
        return std::vector<ChartSeries>{{"", v.is_array() ? &v : &none}};
    };
    out += render_chart("sessions", "Sessions /s", units::count, one("sessions"), slots);
    out += render_chart("datagrams", "Datagrams /s", units::count, one("datagrams"), slots);
    out += render_chart("bytes", "Traffic", units::bit_rate, one("bytes"), slots);
    out += "</section>\n";
    out += render_peers_panel(snapshot);
    out += stamp_panel(member(snapshot, "stamp"));
    if (snapshot.contains("sessions")) {  // not with [metrics] page_sessions = no
        out +=
            "<section class=\"card\" id=\"sessions-card\">\n<h2>Live sessions <small "
            "id=\"sessions-open\">" +
            exact(member(snapshot, "sessions_open")) +
            " open</small></h2>\n<div class=\"scroll\"><table id=\"sessions\">\n<thead><tr>"
            "<th>id</th><th>instance</th><th>peer</th><th>local</th><th>age</th>"
            "<th>idle</th><th>bytes in</th><th>bytes out</th></tr></thead>\n<tbody>\n";
        out += session_rows(member(snapshot, "sessions"));
        out += "</tbody></table></div>\n</section>\n";
    }
    out +=
        "</div>\n<section class=\"card\" id=\"events-card\">\n"
        "<h2>Events <small id=\"events-count\"></small></h2>\n<ol id=\"events\"></ol>\n"
        "<noscript><p class=\"empty\">The event stream needs JavaScript; "
        "<a href=\"events\">/events</a> is the raw stream.</p></noscript>\n</section>\n"
        "</main>\n<footer><a href=\"metrics\">/metrics</a> <a href=\"stats.json\">"
        "/stats.json</a> <a href=\"events\">/events</a> <a href=\"healthz\">/healthz</a>"
        "</footer>\n<script nonce=\"" +
        n + "\">";
    out += kLivePageScript;
    out += "</script>\n</body>\n</html>\n";
    return out;
}

}  // namespace smalld
