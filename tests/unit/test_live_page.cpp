// SPDX-License-Identifier: BSD-2-Clause
// The live page's server-side rendering: every value the daemon does not
// control (instance names, peers, reload errors) is escaped for HTML, the
// tables show the snapshot's exact counters in cells a script (and a test)
// can find (humanised, with the exact value beside), problems come first
// (the badge, its link, the row order, a chart per reason), the STAMP panel
// renders, the page loads nothing from outside and carries its nonce, and
// the rates, the window's problems and the chart series come from the
// sampled counters.
#include <nlohmann/json.hpp>
#include <string>

#include "live_history.h"
#include "live_page.h"
#include "stats.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;

namespace {

bool has(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

nlohmann::json sample_snapshot() {
    nlohmann::json row = {{"instance", "echo<script>alert(1)</script>"},
                          {"type", "echo"},
                          {"proto", "tcp"},
                          {"listen", {"127.0.0.1:7007"}},
                          {"open", 2},
                          {"sessions_total", 12345},
                          {"datagrams_in_total", 0},
                          {"datagrams_out_total", 0},
                          {"read_bytes_total", 4096},
                          {"written_bytes_total", 4095},
                          {"rates", {{"sessions", 2.5}, {"datagrams", 0}, {"bytes", 3072}}},
                          {"refused", {{"acl", 3}, {"rate", 1}}},
                          {"dropped", nlohmann::json::object()}};
    nlohmann::json udp = row;
    udp["instance"] = "daytime";
    udp["proto"] = "udp";
    udp["open"] = nullptr;
    udp["datagrams_in_total"] = 77;
    udp["refused"] = nlohmann::json::object();
    udp["dropped"] = {{"loop", 5}};
    nlohmann::json session = {{"id", 42},
                              {"instance", "echo"},
                              {"peer", "\"><img src=x onerror=alert(2)>:1"},
                              {"local", "127.0.0.1:7"},
                              {"age_seconds", 3725.2},
                              {"idle_seconds", 1.9},
                              {"bytes_in", 10},
                              {"bytes_out", 9}};
    return {{"daemon",
             {{"version", "1.2.3"},
              {"state", "running"},
              {"uptime_seconds", 90061},
              {"last_reload", "failed: smalld.ini:3: <bad> & worse"},
              {"last_reload_successful", false}}},
            {"rows", {row, udp}},
            {"series",
             {{"step_seconds", 1},
              {"slots", 300},
              {"sessions", {0, 1, 4, 2}},
              {"datagrams", {0, 0, 0, 0}},
              {"bytes", {0, 100, 2048, 10}}}},
            {"sessions", {session}},
            {"sessions_open", 1}};
}

}  // namespace

static void escapes_what_html_would_parse(void**) {
    assert_str_eq(html_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
    assert_str_eq(html_escape("plain echo-lab_1"), "plain echo-lab_1");
    std::string page = render_live_page(sample_snapshot(), "NONCE123");
    assert_false(has(page, "<script>alert"));
    assert_false(has(page, "<img src=x"));
    assert_true(has(page, "echo&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_true(has(page, "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;:1"));
    assert_true(has(page, "failed: smalld.ini:3: &lt;bad&gt; &amp; worse"));
    // The row key is an attribute value: escaped too.
    assert_true(has(page, "data-row=\"echo&lt;script&gt;alert(1)&lt;/script&gt;/tcp\""));
    assert_true(has(page, "<div class=\"addr\" data-field=\"listen\">127.0.0.1:7007</div>"));
}

static void shows_the_exact_counters(void**) {
    std::string page = render_live_page(sample_snapshot(), "n0nce");
    // Humanised, with the exact value beside it.
    assert_true(has(page,
                    "data-field=\"sessions_total\" data-label=\"sessions\" "
                    "data-value=\"12345\" title=\"12345\">12.3k</td>"));
    assert_true(has(page,
                    "data-field=\"read_bytes_total\" data-label=\"bytes in\" "
                    "data-value=\"4096\" title=\"4096\">4.00 KiB</td>"));
    assert_true(has(page, "data-field=\"open\" data-label=\"open\" data-value=\"2\""));
    assert_true(has(page,
                    "data-field=\"datagrams_in_total\" data-label=\"datagrams in\" "
                    "data-value=\"77\""));
    assert_true(has(page, "data-field=\"sessions_rate\" data-label=\"sessions/s\">2.5</td>"));
    assert_true(has(page, "title=\"3072 bytes/s\">24.6 kbit/s</td>"));
    assert_true(has(page, "data-field=\"refused\" data-label=\"refused\">acl 3, rate 1</td>"));
    assert_true(has(page, "data-field=\"dropped\" data-label=\"dropped\">loop 5</td>"));
    // A UDP row has no open sessions.
    assert_true(has(page, "data-field=\"open\" data-label=\"open\">\u2014</td>"));
    assert_true(has(page, "<tr data-session=\"42\">"));
    assert_true(has(page, "data-field=\"age\" data-label=\"age\">1h 2m 5s</td>"));
    assert_true(has(page, "<b id=\"uptime\">1d 1h 1m</b>"));
    assert_true(has(page, "<small id=\"sessions-open\">1 open</small>"));
    assert_true(has(page, "<b id=\"last-reload\" class=\"bad\">"));
    // The bytes chart: in bits per second, peak 2048 B/s.
    assert_true(has(page, "<span id=\"peak-bytes\">16.4 kbit/s</span>"));
}

// Problems first: the badge counts the window's drops and refusals and links
// to the row with most, which comes first in the table; the drops and
// refusals come before the totals; drops per reason are charted.
static void problems_come_first(void**) {
    nlohmann::json snapshot = sample_snapshot();
    snapshot["problems"] = {
        {"seconds", 300},      {"dropped", 2700},
        {"refused", 4},        {"auth_failures", 0},
        {"reloads_failed", 0}, {"rows", {{"daytime/udp", {{"dropped", 2700}, {"refused", 0}}}}}};
    snapshot["series"]["problems"] = {{"dropped rate", {0, 1, 2700}}};
    std::string page = render_live_page(snapshot, "n");
    assert_true(has(page, "<a id=\"badge\" class=\"badge bad\" href=\"#row-daytime-udp\""));
    assert_true(has(page, "2700 dropped \u00b7 4 refused"));
    size_t daytime = page.find("<tr id=\"row-daytime-udp\""), echo = page.find("data-row=\"echo");
    assert_true(daytime != std::string::npos && echo != std::string::npos && daytime < echo);
    assert_true(page.find("<th>dropped</th>") < page.find("<th>sessions</th>"));
    assert_true(has(page, "<li class=\"s0\">dropped rate</li>"));
    assert_true(has(page, "log scale"));  // 1 to 2700: three decades
    // Refusals alone are amber; nothing is green.
    snapshot["problems"]["dropped"] = 0;
    snapshot["problems"]["rows"] = nlohmann::json::object();
    assert_true(has(render_live_page(snapshot, "n"), "class=\"badge warn\" href=\"#instances\""));
    snapshot["problems"]["refused"] = 0;
    assert_true(has(render_live_page(snapshot, "n"), "class=\"badge ok\""));
    // A failed reload is red, and links to the header's reload result.
    snapshot["problems"]["reloads_failed"] = 1;
    page = render_live_page(snapshot, "n");
    assert_true(has(page, "class=\"badge bad\" href=\"#last-reload\""));
    assert_true(has(page, "1 failed reload"));
}

// The STAMP panel: the reflected rate, sessions, failed authentications,
// the mean processing time and the histogram's buckets.
static void a_stamp_panel_renders(void**) {
    nlohmann::json snapshot = sample_snapshot();
    assert_false(has(render_live_page(snapshot, "n"), "id=\"stamp-card\""));  // none: no panel
    snapshot["stamp"] = {{{"instance", "stamp"},
                          {"reflected_rate", 12.5},
                          {"reflected_total", 50},
                          {"sessions_current", 2},
                          {"auth_failures_total", 3},
                          {"processing_seconds_count", 50},
                          {"processing_seconds_sum", 0.001},
                          {"processing", {{1e-05, 10}, {2e-05, 40}, {nullptr, 0}}}}};
    std::string page = render_live_page(snapshot, "n");
    assert_true(has(page, "<section class=\"card\" id=\"stamp-card\">"));
    assert_true(has(page, "data-field=\"reflected_rate\">12</dd>"));
    assert_true(has(page, "data-field=\"sessions_current\">2</dd>"));
    assert_true(has(page, "data-field=\"auth_failures_total\" title=\"3\">3</dd>"));
    assert_true(has(page, "data-field=\"processing_mean\">20 us</dd>"));
    assert_true(has(page, ">\u2264 20 us</text>"));
    assert_true(has(page, ">40 (80.0%)</text>"));
    assert_true(has(page, ">&gt; 20 us</text>"));
}

static void an_empty_daemon_renders(void**) {
    nlohmann::json snapshot = sample_snapshot();
    snapshot["rows"] = nlohmann::json::array();
    snapshot["sessions"] = nlohmann::json::array();
    snapshot["series"] = {{"sessions", nlohmann::json::array()},
                          {"datagrams", nlohmann::json::array()},
                          {"bytes", nlohmann::json::array()}};
    std::string page = render_live_page(snapshot, "N");
    assert_true(has(page, "no instances"));
    assert_true(has(page, "no open sessions"));
    assert_true(has(page, "no drops or refusals"));
}

static void loads_nothing_from_outside(void**) {
    std::string page = render_live_page(sample_snapshot(), "NONCE123");
    assert_true(page.rfind("<!DOCTYPE html>", 0) == 0);
    assert_true(has(page, "<style nonce=\"NONCE123\">"));
    assert_true(has(page, "<script nonce=\"NONCE123\">"));
    for (const char* outside : {"http://", "https://", "src=\"", "href=\"//", "@import", "url("})
        assert_false(has(page, outside));
    // The one linked resource is the daemon's own icon, by a relative path.
    assert_true(has(page, "<link rel=\"icon\" href=\"favicon.svg\""));
    std::string policy = live_page_policy("NONCE123");
    assert_true(has(policy, "default-src 'none'"));
    assert_true(has(policy, "script-src 'nonce-NONCE123'"));
    assert_true(has(policy, "connect-src 'self'"));
    assert_false(has(policy, "unsafe"));
}

static void rates_come_from_the_sampled_counters(void**) {
    Stats stats;
    auto& echo = stats.instance("echo", ServiceType::Echo);
    LiveHistory history;
    history.sample(stats, 0);
    assert_true(history.series()["sessions"].empty());  // one sample: no step yet
    for (int second = 1; second <= 5; ++second) {
        echo.tcp.sessions_total += 2;  // 2 sessions/s
        echo.tcp.bytes_read += 100;    // 150 bytes/s in all
        echo.tcp.bytes_written += 50;
        echo.udp.datagrams_in += 10;  // 10 datagrams/s
        history.sample(stats, second * 1000);
    }
    LiveRates rates = history.rates();
    const LiveCounts& tcp = rates[LiveRowKey("echo", "tcp")];
    assert_true(tcp.sessions == 2.0);
    assert_true(tcp.bytes == 150.0);
    assert_true(rates[LiveRowKey("echo", "udp")].datagrams == 10.0);
    nlohmann::json series = history.series();
    assert_int_equal(series["sessions"].size(), 5);
    assert_true(series["sessions"].back().get<double>() == 2.0);
    assert_true(series["datagrams"].back().get<double>() == 10.0);
    // A counter reset is no traffic, not a negative rate.
    stats.reset_counters();
    history.sample(stats, 6000);
    assert_true(history.series()["sessions"].back().get<double>() == 0.0);
    // Bounded: five minutes of seconds.
    for (int second = 7; second < 1000; ++second) history.sample(stats, second * 1000);
    assert_int_equal(history.size(), LiveHistory::kSamples);
    assert_int_equal(history.series()["bytes"].size(), LiveHistory::kSamples - 1);
}

// The badge's window: drops and refusals by row and reason, failed reloads,
// counted from the samples' increases (a reset in between loses nothing).
static void problems_are_counted_over_the_window(void**) {
    Stats stats;
    auto& echo = stats.instance("echo", ServiceType::Echo);
    LiveHistory history;
    history.sample(stats, 0);
    echo.udp.dropped[size_t(DropReason::Rate)] += 7;
    echo.tcp.rejected[size_t(RejectReason::Acl)] += 2;
    history.sample(stats, 1000);
    stats.reset_counters();
    echo.udp.dropped[size_t(DropReason::Rate)] += 3;
    ++stats.counters.reload_failed_total;
    history.sample(stats, 2000);
    nlohmann::json p = history.problems();
    assert_true(p["dropped"].get<double>() == 7.0);  // the step down is no drop...
    history.sample(stats, 3000);
    echo.udp.dropped[size_t(DropReason::Rate)] += 3;
    history.sample(stats, 4000);
    p = history.problems();
    assert_true(p["dropped"].get<double>() == 10.0);  // ...but what came after it is
    assert_true(p["refused"].get<double>() == 2.0);
    assert_true(p["reloads_failed"].get<double>() == 1.0);
    assert_true(p["rows"]["echo/udp"]["dropped"].get<double>() == 10.0);
    assert_true(p["rows"]["echo/tcp"]["refused"].get<double>() == 2.0);
    nlohmann::json series = history.series();
    assert_true(series["problems"]["dropped rate"].back().get<double>() == 3.0);
    assert_true(series["rows"]["echo/udp"]["problems"].back().get<double>() == 3.0);
}

// A session shown without details (privacy.h) has no peer: the page shows
// a dash, and reads no member that is not there.
static void a_session_without_its_peer_renders(void**) {
    nlohmann::json snapshot = sample_snapshot();
    snapshot["sessions"][0].erase("peer");
    std::string page = render_live_page(snapshot, "n0nce");
    assert_true(has(page, "data-field=\"peer\" data-label=\"peer\">\u2014</td>"));
    assert_true(has(page, "data-field=\"id\" data-label=\"id\">42</td>"));
}

// The peers panel: only with a stamp-sender ("peers" in the snapshot), its
// peers down or losing first, an unknown figure a dash, names escaped.
static void the_peers_panel_puts_problems_first(void**) {
    nlohmann::json snapshot = sample_snapshot();
    assert_false(has(render_live_page(snapshot, "n0nce"), "id=\"peers-card\""));
    nlohmann::json good = {{"service", "mesh"},
                           {"peer", "a"},
                           {"up", true},
                           {"rtt_p50_seconds", 0.0012},
                           {"rtt_p99_seconds", 0.004},
                           {"forward_p50_seconds", nullptr},
                           {"backward_p50_seconds", nullptr},
                           {"loss_forward_pct", 0},
                           {"loss_backward_pct", 0},
                           {"last_seen_seconds_ago", 0.5}};
    nlohmann::json down = good;
    down["peer"] = "b<i>";
    down["up"] = false;
    down["rtt_p50_seconds"] = nullptr;
    down["last_seen_seconds_ago"] = nullptr;
    snapshot["peers"] = {good, down};
    snapshot["series"]["peers"]["mesh/a"] = {{"rtt", {0.001, nullptr, 0.0012}},
                                             {"loss", {0, nullptr, 0}}};
    std::string page = render_live_page(snapshot, "n0nce");
    assert_true(has(page, "id=\"peers-card\""));
    size_t b = page.find("data-peer=\"mesh/b&lt;i&gt;\" class=\"hot\"");
    size_t a = page.find("data-peer=\"mesh/a\">");
    assert_true(b != std::string::npos && a != std::string::npos && b < a);
    assert_false(has(page, "b<i>"));
    assert_true(has(page, "data-field=\"up\">down</td>"));
    assert_true(has(page, "data-field=\"last_seen\">never</td>"));
    assert_true(has(page, "data-field=\"rtt_p50_seconds\">\u2014</td>"));
    assert_true(has(page, "id=\"spark-peer-mesh-a\""));
    // Up but losing packets is a problem too, and comes first.
    snapshot["peers"][1]["up"] = true;
    snapshot["peers"][0]["loss_backward_pct"] = 2.5;
    page = render_live_page(snapshot, "n0nce");
    assert_true(page.find("data-peer=\"mesh/a\" class=\"hot\"") <
                page.find("data-peer=\"mesh/b&lt;i&gt;\">"));
    assert_true(has(page, "data-field=\"loss_backward_pct\">2.5%</td>"));
}

int main() {
    return run_test_group(
        {cmocka_unit_test(escapes_what_html_would_parse),
         cmocka_unit_test(shows_the_exact_counters), cmocka_unit_test(an_empty_daemon_renders),
         cmocka_unit_test(a_session_without_its_peer_renders),
         cmocka_unit_test(loads_nothing_from_outside),
         cmocka_unit_test(rates_come_from_the_sampled_counters),
         cmocka_unit_test(problems_are_counted_over_the_window),
         cmocka_unit_test(problems_come_first), cmocka_unit_test(a_stamp_panel_renders),
         cmocka_unit_test(the_peers_panel_puts_problems_first)});
}
