// SPDX-License-Identifier: BSD-2-Clause
#include "live_page.h"

#include <cmath>
#include <cstdio>

namespace smalld {

namespace {

std::string fixed(double value, int decimals) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
}

std::string count(const nlohmann::json& value) {
    if (!value.is_number()) return "\u2014";
    return fixed(value.get<double>(), 0);
}

// The member `key` of `object`, or null: a const operator[] on a missing key
// is undefined behaviour, and a session shown without details has no peer.
const nlohmann::json& member(const nlohmann::json& object, const char* key) {
    static const nlohmann::json none;
    auto it = object.find(key);
    return it != object.end() ? *it : none;
}

std::string text(const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : value.is_null() ? "" : value.dump();
}

// "acl 2, rate 1", or an em dash.
std::string reasons(const nlohmann::json& by_reason) {
    std::string out;
    if (by_reason.is_object())
        for (const auto& [reason, n] : by_reason.items())
            out += (out.empty() ? "" : ", ") + reason + " " + count(n);
    return out.empty() ? "\u2014" : out;
}

std::string td(const char* field, const std::string& content, const char* cls = "num") {
    return std::string("<td class=\"") + cls + "\" data-field=\"" + field + "\">" +
           html_escape(content) + "</td>";
}

std::string instance_rows(const nlohmann::json& rows) {
    std::string out;
    for (const auto& r : rows) {
        std::string instance = text(r["instance"]);
        std::string proto = text(r["proto"]);
        std::string listen;
        for (const auto& address : r["listen"])
            listen += (listen.empty() ? "" : " ") + text(address);
        const nlohmann::json& rates = r["rates"];
        out += "<tr data-row=\"" + html_escape(instance + "/" + proto) + "\">";
        out += "<th scope=\"row\"><span data-field=\"instance\">" + html_escape(instance) +
               "</span> <small>" + html_escape(text(r["type"])) +
               "</small><div class=\"addr\" data-field=\"listen\">" +
               html_escape(listen.empty() ? "not listening" : listen) + "</div></th>";
        out += td("proto", proto, "tag");
        out += td("open", r["open"].is_null() ? "\u2014" : count(r["open"]));
        out += td("sessions_rate", format_rate(rates.value("sessions", 0.0)));
        out += td("datagrams_rate", format_rate(rates.value("datagrams", 0.0)));
        out += td("bytes_rate", format_byte_rate(rates.value("bytes", 0.0)));
        out += td("sessions_total", count(r["sessions_total"]));
        out += td("datagrams_in_total", count(r["datagrams_in_total"]));
        out += td("datagrams_out_total", count(r["datagrams_out_total"]));
        out += td("read_bytes_total", count(r["read_bytes_total"]));
        out += td("written_bytes_total", count(r["written_bytes_total"]));
        out += td("refused", reasons(r["refused"]), r["refused"].empty() ? "why" : "why bad");
        out += td("dropped", reasons(r["dropped"]), r["dropped"].empty() ? "why" : "why bad");
        out += "</tr>\n";
    }
    if (out.empty()) out = "<tr><td colspan=\"13\" class=\"empty\">no instances</td></tr>\n";
    return out;
}

std::string session_rows(const nlohmann::json& sessions) {
    std::string out;
    for (const auto& s : sessions) {
        const nlohmann::json& peer = member(s, "peer");  // absent without details
        out += "<tr data-session=\"" + html_escape(count(member(s, "id"))) + "\">";
        out += td("id", count(member(s, "id")));
        out += td("instance", text(member(s, "instance")), "name");
        out += td("peer", peer.is_null() ? "\u2014" : text(peer), "addr");
        out += td("local", text(member(s, "local")), "addr");
        out += td("age", format_duration(s.value("age_seconds", 0.0)));
        out += td("idle", format_duration(s.value("idle_seconds", 0.0)));
        out += td("bytes_in", count(member(s, "bytes_in")));
        out += td("bytes_out", count(member(s, "bytes_out")));
        out += "</tr>\n";
    }
    if (out.empty()) out = "<tr><td colspan=\"8\" class=\"empty\">no open sessions</td></tr>\n";
    return out;
}

// A line chart of `values` in a 300 x 60 box, scaled to their maximum; the
// box is `slots` steps wide, the newest value at the right edge.
std::string chart(const char* id, const char* title, const nlohmann::json& values, size_t slots,
                  bool bytes) {
    double max = 0, last = 0;
    for (const auto& v : values) max = std::max(max, v.get<double>());
    if (!values.empty()) last = values.back().get<double>();
    size_t n = values.size();
    slots = std::max(slots, n);
    std::string points, first_x = "300.0";
    for (size_t i = 0; i < n; ++i) {
        double x = slots > 1 ? 300.0 * double(slots - n + i) / double(slots - 1) : 300.0;
        double y = 58 - (max > 0 ? 56 * values[i].get<double>() / max : 0);
        if (i == 0) first_x = fixed(x, 1);
        points += fixed(x, 1) + "," + fixed(y, 1) + " ";
    }
    std::string now = bytes ? format_byte_rate(last) : format_rate(last);
    std::string peak = bytes ? format_byte_rate(max) : format_rate(max);
    std::string out = std::string("<figure class=\"card chart\"><figcaption>") + title +
                      " <b id=\"now-" + id + "\">" + now + "</b><small>peak <span id=\"peak-" + id +
                      "\">" + peak + "</span></small></figcaption>";
    out += std::string("<svg id=\"chart-") + id +
           "\" viewBox=\"0 0 300 60\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"" +
           title + ", last five minutes\">";
    out += "<polygon class=\"area\" points=\"" + first_x + ",60 " + points + "300.0,60\"/>";
    out += "<polyline class=\"line\" points=\"" + points + "\"/></svg>";
    out += "<div class=\"axis\"><span>5 min ago</span><span>now</span></div></figure>\n";
    return out;
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

std::string format_rate(double per_second) {
    return fixed(per_second, per_second >= 100 ? 0 : 1);
}

std::string format_byte_rate(double per_second) {
    static const char* const units[] = {"B/s", "KiB/s", "MiB/s", "GiB/s"};
    size_t unit = 0;
    while (per_second >= 1024 && unit < 3) {
        per_second /= 1024;
        ++unit;
    }
    return fixed(per_second, unit == 0 ? 0 : 1) + " " + units[unit];
}

std::string format_duration(double seconds) {
    auto s = int64_t(std::floor(std::max(seconds, 0.0)));
    char buf[64];
    if (s >= 86400)
        snprintf(buf, sizeof buf, "%lldd %02lldh", (long long)(s / 86400),
                 (long long)(s % 86400 / 3600));
    else if (s >= 3600)
        snprintf(buf, sizeof buf, "%lldh %02lldm", (long long)(s / 3600),
                 (long long)(s % 3600 / 60));
    else if (s >= 60)
        snprintf(buf, sizeof buf, "%lldm %02llds", (long long)(s / 60), (long long)(s % 60));
    else
        snprintf(buf, sizeof buf, "%llds", (long long)s);
    return buf;
}

std::string live_page_policy(std::string_view nonce) {
    std::string n(nonce);
    return "default-src 'none'; script-src 'nonce-" + n + "'; style-src 'nonce-" + n +
           "'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
           "frame-ancestors 'none'";
}

std::string render_live_page(const nlohmann::json& snapshot, std::string_view nonce) {
    const nlohmann::json& about = snapshot["daemon"];
    const nlohmann::json& series = snapshot["series"];
    std::string n = html_escape(nonce);
    std::string reload = text(about.value("last_reload", nlohmann::json("none")));
    bool reload_ok = about.value("last_reload_successful", true);
    std::string state = text(about.value("state", nlohmann::json("running")));
    std::string out =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<title>smalld live</title>\n<link rel=\"icon\" href=\"favicon.svg\" "
        "type=\"image/svg+xml\">\n<style nonce=\"" +
        n + "\">";
    out += kLivePageStyle;
    out += "</style>\n</head>\n<body>\n<header>\n<h1>smalld <small>" +
           html_escape(text(about["version"])) + "</small></h1>\n";
    out += "<span id=\"state\" class=\"pill " + std::string(state == "running" ? "ok" : "bad") +
           "\">" + html_escape(state) + "</span>\n";
    out += "<span>up <b id=\"uptime\">" +
           html_escape(format_duration(about.value("uptime_seconds", 0.0))) + "</b></span>\n";
    out += "<span>last reload <b id=\"last-reload\" class=\"" +
           std::string(reload_ok ? "good" : "bad") + "\">" + html_escape(reload) + "</b></span>\n";
    out +=
        "<span id=\"live\" class=\"pill off\" title=\"updates need JavaScript\">static</span>\n"
        "</header>\n<main>\n<section class=\"charts\">\n";
    size_t slots = series.value("slots", size_t(0));
    out += chart("sessions", "Sessions/s", series["sessions"], slots, false);
    out += chart("datagrams", "Datagrams/s", series["datagrams"], slots, false);
    out += chart("bytes", "Bytes/s", series["bytes"], slots, true);
    out +=
        "</section>\n<section class=\"card\">\n<h2>Instances</h2>\n"
        "<div class=\"scroll\"><table id=\"instances\">\n<thead><tr>"
        "<th>instance</th><th>proto</th><th>open</th>"
        "<th>sessions/s</th><th>datagrams/s</th><th>bytes/s</th><th>sessions</th>"
        "<th>datagrams in</th><th>datagrams out</th><th>bytes in</th><th>bytes out</th>"
        "<th>refused</th><th>dropped</th></tr></thead>\n<tbody>\n";
    out += instance_rows(snapshot["rows"]);
    out +=
        "</tbody></table></div>\n</section>\n<section class=\"card\">\n<h2>Live sessions "
        "<small id=\"sessions-open\">" +
        count(snapshot["sessions_open"]) +
        " open</small></h2>\n<div class=\"scroll\"><table id=\"sessions\">\n<thead><tr>"
        "<th>id</th><th>instance</th><th>peer</th><th>local</th><th>age</th><th>idle</th>"
        "<th>bytes in</th><th>bytes out</th></tr></thead>\n<tbody>\n";
    out += session_rows(snapshot["sessions"]);
    out +=
        "</tbody></table></div>\n</section>\n<section class=\"card\" id=\"events-card\">\n"
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
