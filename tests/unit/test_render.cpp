// SPDX-License-Identifier: BSD-2-Clause
// Statistics renderers: JSON and Prometheus text, both from visit_stats.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "../cmocka.hpp"
#include "render.h"
#include "stats.h"
#include "utf8.h"

using namespace smalld;

namespace {

Stats sample_stats() {
    Stats stats;
    stats.counters.conn_accepted_total = 7;
    stats.counters.control_commands_total = 3;
    stats.counters.control_events_dropped_total = 4;
    auto& echo = stats.instance("echo", ServiceType::Echo);
    echo.tcp.sessions_total = 5;
    echo.tcp.bytes_read = 1000;
    echo.tcp.bytes_written = 999;
    echo.tcp.reject(RejectReason::Rate);
    echo.tcp.reject(RejectReason::Rate);
    echo.udp.datagrams_in = 4;
    echo.udp.datagrams_out = 3;
    echo.udp.drop(DropReason::Loop);
    echo.max_connections = 1024;
    echo.session_duration.observe(0.05);
    echo.session_duration.observe(2);
    echo.session_duration.observe(7200);  // beyond the last bound: only +Inf
    stats.config_last_reload_successful = false;
    stats.config_last_reload_success_unix = 1700000000.5;
    auto& lab = stats.instance("echo\"lab", ServiceType::Echo);  // needs escaping
    lab.tcp.sessions_total = 1;
    auto& stamp = stats.instance("stamp", ServiceType::Stamp);
    stamp.stamp.reflected = 6;
    stamp.stamp.observe_processing(1'500);   // 1.5 us: the 2e-06 bucket
    stamp.stamp.observe_processing(30'000);  // 30 us: the 5e-05 bucket
    return stats;
}

// The sessions open beside sample_stats(): two of echo, three in stamp's table.
OpenSessions sample_open() {
    OpenSessions open;
    open.tcp = 2;
    open.instances["echo"].tcp = 2;
    open.instances["stamp"].stamp = 3;
    return open;
}

}  // namespace

static void json_shape(void**) {
    Stats stats = sample_stats();
    nlohmann::json j = render_stats_json(stats, sample_open());
    assert_int_equal(j["version"].get<int>(), 2);
    assert_int_equal(j["conn"]["current"].get<uint64_t>(), 2);
    assert_int_equal(j["conn"]["accepted_total"].get<uint64_t>(), 7);
    assert_int_equal(j["control"]["commands_total"].get<uint64_t>(), 3);
    assert_int_equal(j["control"]["events_dropped_total"].get<uint64_t>(), 4);
    assert_true(j["process"]["uptime_seconds"].is_number());
    const auto& echo = j["instances"]["echo"];
    assert_str_eq(echo["type"].get<std::string>(), "echo");
    assert_int_equal(echo["tcp"]["sessions_total"].get<uint64_t>(), 5);
    assert_int_equal(echo["tcp"]["sessions_current"].get<uint64_t>(), 2);
    assert_int_equal(echo["tcp"]["read_bytes_total"].get<uint64_t>(), 1000);
    assert_int_equal(echo["tcp"]["written_bytes_total"].get<uint64_t>(), 999);
    assert_int_equal(echo["tcp"]["conn"]["rejected_total"]["rate"].get<uint64_t>(), 2);
    assert_int_equal(echo["tcp"]["conn"]["rejected_total"]["acl"].get<uint64_t>(), 0);
    assert_int_equal(echo["udp"]["datagrams_in_total"].get<uint64_t>(), 4);
    assert_int_equal(echo["udp"]["datagrams_dropped_total"]["loop"].get<uint64_t>(), 1);
    assert_false(echo["tcp"].contains("datagrams_in_total"));
    assert_false(echo["udp"].contains("sessions_total"));
    assert_int_equal(j["instances"]["echo\"lab"]["tcp"]["sessions_total"].get<uint64_t>(), 1);
    assert_int_equal(j["config"]["last_reload_successful"].get<uint64_t>(), 0);
    assert_true(j["config"]["last_reload_success_timestamp_seconds"].get<double>() == 1700000000.5);
    assert_true(j["log"]["lines_dropped_total"].is_number());
    assert_true(j["log"]["lines_suppressed_total"].is_number());
    // The standard process metrics, under "process" like the rest.
    const auto& process = j["process"];
    assert_true(process["open_fds"].get<double>() >= 3);
    assert_true(process["max_fds"].get<double>() >= process["open_fds"].get<double>());
    assert_true(process["resident_memory_bytes"].get<double>() > 0);
    assert_true(process["cpu_seconds_total"].get<double>() >= 0);
    assert_true(process["start_time_seconds"].get<double>() > 1.6e9);
    // Not a dotted key left anywhere.
    std::function<void(const nlohmann::json&)> no_dots = [&](const nlohmann::json& v) {
        if (!v.is_object()) return;
        for (const auto& [key, value] : v.items()) {
            if (key.find('.') != std::string::npos) fail_msg("dotted key %s", key.c_str());
            no_dots(value);
        }
    };
    no_dots(j);
    const auto& session = echo["tcp"]["session"];
    assert_int_equal(session["duration_seconds_count"].get<uint64_t>(), 3);
    assert_true(session["duration_seconds_sum"].get<double>() == 7202.05);
    // Buckets: [upper bound, cumulative count], in numeric order, +Inf last.
    const auto& buckets = session["duration_seconds_bucket"];
    assert_true(buckets.is_array());
    assert_true(buckets[0] == nlohmann::json::array({0.01, 0}));
    assert_true(buckets[1] == nlohmann::json::array({0.1, 1}));
    assert_true(buckets[4] == nlohmann::json::array({5, 2}));
    assert_true(buckets[10] == nlohmann::json::array({3600, 2}));
    assert_true(buckets.back() == nlohmann::json::array({"+Inf", 3}));
    for (size_t i = 1; i + 1 < buckets.size(); ++i)
        assert_true(buckets[i][0].get<double>() > buckets[i - 1][0].get<double>());
    assert_false(echo["udp"].contains("session"));
    assert_int_equal(echo["tcp"]["max_connections"].get<uint64_t>(), 1024);
    // STAMP processing time up to 10 s: 1.5 us and 30 us, then nothing more.
    const auto& processing = j["instances"]["stamp"]["udp"]["stamp"]["processing_seconds_bucket"];
    assert_true(processing[1] == nlohmann::json::array({2e-06, 1}));
    assert_true(processing[processing.size() - 2] == nlohmann::json::array({10, 2}));
    assert_true(processing.back() == nlohmann::json::array({"+Inf", 2}));
}

// Every sample visit_stats produces is in the JSON, with the same value, at
// the path its dotted name says.
static void json_has_every_sample(void**) {
    Stats stats = sample_stats();
    nlohmann::json j = render_stats_json(stats, sample_open());
    size_t samples = 0;
    visit_stats(stats, sample_open(), [&](const StatSample& s) {
        ++samples;
        if (s.key.rfind("process_", 0) == 0) return;
        std::string path = "/";
        if (!s.instance.empty())
            path += "instances/" + std::string(s.instance) + "/" + std::string(s.proto) + "/";
        path += std::string(s.key);
        std::replace(path.begin(), path.end(), '.', '/');
        if (!s.reason.empty()) path += "/" + std::string(s.reason);
        const nlohmann::json& at = j.at(nlohmann::json::json_pointer(path));
        if (!s.le.empty()) {
            bool found = false;
            for (const auto& bucket : at)
                if (bucket[1].get<double>() == s.value &&
                    (s.le == "+Inf" ? bucket[0] == "+Inf"
                                    : bucket[0].is_number() &&
                                          bucket[0].get<double>() ==
                                              std::strtod(std::string(s.le).c_str(), nullptr)))
                    found = true;
            assert_true(found);
            return;
        }
        assert_true(at.is_number());
        assert_true(at.get<double>() == s.value);
    });
    assert_true(samples > 20);
}

static void prometheus_text(void**) {
    Stats stats = sample_stats();
    std::string text = render_prometheus(stats, sample_open(), "1.2.3");
    auto has = [&](const std::string& needle) {
        if (text.find(needle) == std::string::npos) {
            fprintf(stderr, "missing: %s\n%s", needle.c_str(), text.c_str());
            return false;
        }
        return true;
    };
    assert_true(
        has("# HELP smalld_conn_current TCP sessions open now.\n"
            "# TYPE smalld_conn_current gauge\nsmalld_conn_current 2\n"));
    assert_true(has("# TYPE smalld_conn_accepted_total counter\nsmalld_conn_accepted_total 7\n"));
    assert_true(
        has("# TYPE smalld_control_events_dropped_total counter\n"
            "smalld_control_events_dropped_total 4\n"));
    assert_true(has("smalld_sessions_total{service=\"echo\",type=\"echo\",proto=\"tcp\"} 5\n"));
    assert_true(
        has("smalld_read_bytes_total{service=\"echo\",type=\"echo\",proto=\"tcp\"} 1000\n"));
    assert_true(
        has("smalld_conn_rejected_total{service=\"echo\",type=\"echo\",proto=\"tcp\","
            "reason=\"rate\"} 2\n"));
    assert_true(
        has("smalld_datagrams_dropped_total{service=\"echo\",type=\"echo\",proto=\"udp\","
            "reason=\"loop\"} 1\n"));
    assert_true(
        has("smalld_sessions_total{service=\"echo\\\"lab\",type=\"echo\",proto=\"tcp\"} 1\n"));
    assert_true(has("# TYPE smalld_build_info gauge\nsmalld_build_info{version=\"1.2.3\"} 1\n"));
    assert_true(
        has("# TYPE smalld_config_last_reload_successful gauge\n"
            "smalld_config_last_reload_successful 0\n"));
    assert_true(has("smalld_config_last_reload_success_timestamp_seconds 1700000000.5\n"));
    assert_true(has("# TYPE smalld_log_lines_dropped_total counter\n"));
    assert_true(has("# TYPE smalld_log_lines_suppressed_total counter\n"));
    for (const char* process :
         {"process_cpu_seconds_total counter", "process_open_fds gauge", "process_max_fds gauge",
          "process_resident_memory_bytes gauge", "process_start_time_seconds gauge"})
        assert_true(has(std::string("# TYPE ") + process + "\n"));
    assert_true(has("# TYPE smalld_session_duration_seconds histogram\n"));
    assert_true(
        has("smalld_session_duration_seconds_bucket{service=\"echo\",type=\"echo\","
            "proto=\"tcp\",le=\"0.1\"} 1\n"));
    assert_true(
        has("smalld_session_duration_seconds_bucket{service=\"echo\",type=\"echo\","
            "proto=\"tcp\",le=\"+Inf\"} 3\n"));
    assert_true(
        has("smalld_session_duration_seconds_sum{service=\"echo\",type=\"echo\","
            "proto=\"tcp\"} 7202.05\n"));
    assert_true(
        has("smalld_session_duration_seconds_count{service=\"echo\",type=\"echo\","
            "proto=\"tcp\"} 3\n"));
    assert_true(has("smalld_max_connections{service=\"echo\",type=\"echo\",proto=\"tcp\"} 1024\n"));
    assert_true(text.find("instance=") == std::string::npos);
    assert_true(text.back() == '\n');

    // HELP and TYPE once per family, before its samples; counters end in _total;
    // every sample line belongs to the family declared last.
    std::map<std::string, int> helps, types;
    std::string family;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind("# HELP ", 0) == 0) {
            family = line.substr(7, line.find(' ', 7) - 7);
            ++helps[family];
        } else if (line.rfind("# TYPE ", 0) == 0) {
            std::string name = line.substr(7, line.find(' ', 7) - 7);
            assert_str_eq(name, family);
            ++types[name];
            if (line.size() > 8 && line.substr(line.size() - 8) == " counter")
                assert_str_eq(name.substr(name.size() - 6), "_total");
        } else {
            std::string name = line.substr(0, line.find_first_of("{ "));
            // A histogram's samples are its _bucket, _sum and _count.
            for (const char* suffix : {"_bucket", "_sum", "_count"})
                if (name == family + suffix) name = family;
            assert_str_eq(name, family);
            assert_true(name.find('.') == std::string::npos);
        }
    }
    assert_true(helps.size() > 10);
    for (const auto& [name, n] : helps) {
        assert_int_equal(n, 1);
        assert_int_equal(types[name], 1);
    }
}

// The STAMP processing time is a Prometheus histogram: cumulative buckets
// with le, _sum and _count under one TYPE line; in JSON, buckets by le.
static void stamp_histogram(void**) {
    Stats stats = sample_stats();
    std::string text = render_prometheus(stats, sample_open(), "1");
    const std::string labels = "service=\"stamp\",type=\"stamp\",proto=\"udp\"";
    for (std::string needle :
         {std::string("# TYPE smalld_stamp_processing_seconds histogram\n"),
          "smalld_stamp_processing_seconds_bucket{" + labels + ",le=\"1e-06\"} 0\n",
          "smalld_stamp_processing_seconds_bucket{" + labels + ",le=\"2e-06\"} 1\n",
          "smalld_stamp_processing_seconds_bucket{" + labels + ",le=\"5e-05\"} 2\n",
          "smalld_stamp_processing_seconds_bucket{" + labels + ",le=\"0.01\"} 2\n",
          "smalld_stamp_processing_seconds_bucket{" + labels + ",le=\"10\"} 2\n",
          "smalld_stamp_processing_seconds_bucket{" + labels + ",le=\"+Inf\"} 2\n",
          "smalld_stamp_processing_seconds_sum{" + labels + "} 3.15e-05\n",
          "smalld_stamp_processing_seconds_count{" + labels + "} 2\n",
          "smalld_stamp_reflected_total{" + labels + "} 6\n",
          "smalld_stamp_sessions_current{" + labels + "} 3\n"}) {
        if (text.find(needle) == std::string::npos) fail_msg("missing %s", needle.c_str());
    }
    // Uptime is process_start_time_seconds' job; no second series for it.
    assert_true(text.find("smalld_process_uptime_seconds") == std::string::npos);
    assert_true(text.find("\nprocess_start_time_seconds ") != std::string::npos);
    // Only stamp instances have stamp samples.
    assert_true(text.find("smalld_stamp_reflected_total{service=\"echo\"") == std::string::npos);
    nlohmann::json j = render_stats_json(stats, sample_open());
    const auto& udp = j["instances"]["stamp"]["udp"]["stamp"];
    assert_int_equal(udp["reflected_total"].get<uint64_t>(), 6);
    assert_true(udp["processing_seconds_bucket"][5] == nlohmann::json::array({5e-05, 2}));
    assert_int_equal(udp["processing_seconds_count"].get<uint64_t>(), 2);
    assert_int_equal(udp["sessions_current"].get<uint64_t>(), 3);
}

// `stats reset` zeroes every counter at once. The gauges of what is open are
// no part of the Stats: after a reset they still show the sessions open.
static void reset_zeroes_the_counters_not_the_open_sessions(void**) {
    Stats stats = sample_stats();
    stats.reset_counters();
    size_t gauges = 0;
    visit_stats(stats, sample_open(), [&](const StatSample& s) {
        // The process's and the log's own counters are not the daemon's to reset.
        if (s.key.starts_with("process") || s.key.starts_with("log.")) return;
        if (s.key == "conn.current" || s.key == "sessions_current" ||
            s.key == "stamp.sessions_current") {
            ++gauges;
            double open = 0;  // echo"lab has none
            if (s.key == "conn.current" || s.instance == "echo") open = 2;
            if (s.key == "stamp.sessions_current") open = 3;
            if (s.value != open)
                fail_msg("%.*s of %.*s: %g after the reset, %g open", int(s.key.size()),
                         s.key.data(), int(s.instance.size()), s.instance.data(), s.value, open);
        } else if (s.counter && s.value != 0) {
            fail_msg("%.*s of %.*s: %g after the reset", int(s.key.size()), s.key.data(),
                     int(s.instance.size()), s.instance.data(), s.value);
        }
    });
    // conn.current, sessions_current of the two echo instances (stamp serves
    // no TCP), stamp.sessions_current.
    assert_int_equal(gauges, 1 + 2 + 1);
}

// Series exist only for the protocols an instance serves: its type's (the
// catalogue), narrowed, once the daemon has said, to those it has had
// listeners of. A protocol once served keeps its series across reloads.
static void series_only_for_served_protocols(void**) {
    Stats stats;
    stats.instance("stamp", ServiceType::Stamp);  // UDP only by type
    stats.instance("stampd", ServiceType::Stamp).note_listeners(false, true);
    stats.instance("tcponly", ServiceType::Echo).note_listeners(true, false);
    stats.instance("udponly", ServiceType::Echo).note_listeners(false, true);
    auto& both = stats.instance("both", ServiceType::Echo);
    both.note_listeners(true, false);
    both.note_listeners(true, true);            // a reload added udp=
    both.note_listeners(false, true);           // one dropped tcp=: its series stay
    stats.instance("echo", ServiceType::Echo);  // not said: the type's protocols
    std::map<std::string, int> samples;         // "instance/proto" -> how many
    visit_stats(stats, OpenSessions{}, [&](const StatSample& s) {
        if (!s.instance.empty()) ++samples[std::string(s.instance) + "/" + std::string(s.proto)];
    });
    for (const char* present : {"stamp/udp", "stampd/udp", "tcponly/tcp", "udponly/udp", "both/tcp",
                                "both/udp", "echo/tcp", "echo/udp"})
        if (samples[present] == 0) fail_msg("no samples for %s", present);
    for (const char* absent : {"stamp/tcp", "stampd/tcp", "tcponly/udp", "udponly/tcp"})
        if (samples.count(absent)) fail_msg("%d samples for %s", samples[absent], absent);
    assert_int_equal(samples["tcponly/tcp"], samples["echo/tcp"]);
    assert_int_equal(samples["udponly/udp"], samples["echo/udp"]);
    // Every renderer walks the same samples.
    std::string text = render_prometheus(stats, OpenSessions{}, "1");
    assert_true(text.find("service=\"stamp\",type=\"stamp\",proto=\"tcp\"") == std::string::npos);
    assert_true(text.find("service=\"tcponly\",type=\"echo\",proto=\"udp\"") == std::string::npos);
    assert_true(text.find("service=\"stamp\",type=\"stamp\",proto=\"udp\"") != std::string::npos);
    nlohmann::json j = render_stats_json(stats, OpenSessions{});
    assert_false(j["instances"]["stamp"].contains("tcp"));
    assert_true(j["instances"]["stamp"].contains("udp"));
    assert_false(j["instances"]["udponly"].contains("tcp"));
    // With only UDP-only instances, the TCP families are not there at all.
    Stats udp_only;
    udp_only.instance("stamp", ServiceType::Stamp);
    text = render_prometheus(udp_only, OpenSessions{}, "1");
    for (const char* family : {"smalld_sessions_total", "smalld_conn_rejected_total",
                               "smalld_session_duration_seconds", "smalld_max_connections"})
        if (text.find(std::string("# TYPE ") + family + " ") != std::string::npos)
            fail_msg("%s is there without a TCP instance", family);
}

static void names(void**) {
    assert_str_eq(prometheus_name("conn.rejected_total"), "smalld_conn_rejected_total");
    assert_str_eq(prometheus_name("process.uptime_seconds"), "smalld_process_uptime_seconds");
}

// Every metric, label and reason is documented in the STATISTICS section of
// smallctl(1).
static void every_metric_in_the_manual(void**) {
    const char* dir = getenv("SMALLD_SOURCE_DIR");
    std::ifstream in(std::string(dir ? dir : ".") + "/man/smallctl.1");
    std::stringstream whole;
    whole << in.rdbuf();
    std::string man = whole.str();
    size_t start = man.find(".Sh STATISTICS\n");
    assert_true(start != std::string::npos);
    std::string section = man.substr(start, man.find("\n.Sh ", start + 1) - start);
    auto documented = [&](std::string_view word) {
        // As an mdoc item or argument: ".Cm word" or ", word" in a list.
        for (std::string before : {"Cm ", ", "})
            for (std::string after : {"\n", " "})
                if (section.find(before + std::string(word) + after) != std::string::npos)
                    return true;
        fprintf(stderr, "not in smallctl(1) STATISTICS: %.*s\n", int(word.size()), word.data());
        return false;
    };
    Stats stats = sample_stats();
    visit_stats(stats, sample_open(), [&](const StatSample& s) {
        assert_true(documented(s.key));
        if (!s.reason.empty()) assert_true(documented(s.reason));
        if (!s.histogram.empty()) assert_true(documented(s.histogram));
    });
    for (const char* word : {"service", "type", "proto", "reason", "le", "smalld_build_info"})
        assert_true(documented(word));
    // The old advice to override Prometheus's own target label is gone.
    assert_true(section.find("honor_labels") == std::string::npos);
}

// Names are checked by the config parser, but the renderers do not rely on
// it: whatever the bytes, JSON and Prometheus text stay valid UTF-8.
static void non_utf8_names(void**) {
    Stats stats;
    stats.instance("bad\xff\xfe", ServiceType::Echo).tcp.sessions_total = 1;
    std::string json_text = to_json_text(render_stats_json(stats, OpenSessions{}));
    assert_true(valid_utf8(json_text));
    auto j = nlohmann::json::parse(json_text);
    assert_int_equal(j["instances"]["bad\\xff\\xfe"]["tcp"]["sessions_total"].get<int>(), 1);
    std::string text = render_prometheus(stats, OpenSessions{}, "1.2.3");
    assert_true(valid_utf8(text));
    assert_true(text.find("=\"bad\\\\xff\\\\xfe\",") != std::string::npos);
}

// The one JSON boundary: valid text whatever a string or key holds.
static void json_text_is_utf8(void**) {
    nlohmann::json value = {{"ok", false},
                            {"error", "got \"\xff\xfe\""},
                            {"errors", {"a\xc0\xaf", "fine \xc3\xbc", "\xed\xa0\x80"}},
                            {"key\x80", {{"nested", "\xe2\x82"}}},
                            {"n", 3}};
    std::string text = to_json_text(value);
    assert_true(valid_utf8(text));
    auto back = nlohmann::json::parse(text);
    assert_str_eq(back["error"].get<std::string>(), "got \"\\xff\\xfe\"");
    assert_str_eq(back["errors"][0].get<std::string>(), "a\\xc0\\xaf");
    assert_str_eq(back["errors"][1].get<std::string>(), "fine \xc3\xbc");  // valid: unchanged
    assert_str_eq(back["errors"][2].get<std::string>(), "\\xed\\xa0\\x80");
    assert_str_eq(back["key\\x80"]["nested"].get<std::string>(), "\\xe2\\x82");
    assert_int_equal(back["n"].get<int>(), 3);
    // Valid JSON goes out exactly as nlohmann writes it.
    nlohmann::json plain = {{"a", "\xc3\xbc\n"}, {"b", {1, 2}}};
    assert_str_eq(to_json_text(plain), plain.dump());
}

int main() {
    return run_test_group({cmocka_unit_test(non_utf8_names), cmocka_unit_test(json_text_is_utf8),
                           cmocka_unit_test(json_shape), cmocka_unit_test(json_has_every_sample),
                           cmocka_unit_test(prometheus_text),
                           cmocka_unit_test(series_only_for_served_protocols),
                           cmocka_unit_test(names), cmocka_unit_test(stamp_histogram),
                           cmocka_unit_test(reset_zeroes_the_counters_not_the_open_sessions),
                           cmocka_unit_test(every_metric_in_the_manual)});
}
