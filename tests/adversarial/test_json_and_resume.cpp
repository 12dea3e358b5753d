// SPDX-License-Identifier: BSD-2-Clause
// The shapes the tools read, through the real daemon: `smallctl -j stats`
// and /stats.json are nested JSON with a format version that jq reads by
// path (no dotted keys, histogram buckets as [le, count] in numeric order);
// /metrics has no second uptime series and STAMP processing buckets up to
// 10 s; /events messages carry id: and event:, and a reader that comes back
// with Last-Event-ID gets exactly the events it missed, then the live ones.
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

#include "event_stream.h"
#include "harness.h"

#include "../cmocka.hpp"

using namespace harness;
using adversary::Stream;
using json = nlohmann::json;

namespace {

std::string config() {
    return protect::config_head() +
           "[metrics]\nlisten = 127.0.0.1:0\ndetails = 127.0.0.0/8\n\n"
           "[echo]\ntcp = 127.0.0.1:0\nrate = 0/s\nper_source = 0\n\n"
           "[stamp]\nudp = 127.0.0.1:0\n";
}

// `jq -e FILTER` on `text`: true when jq says the result is true.
bool jq(const TestDaemon& d, const std::string& text, const std::string& filter) {
    std::string path = d.dir() + "/jq.json";
    FILE* f = fopen(path.c_str(), "w");
    if (!f) return false;
    fputs(text.c_str(), f);
    fclose(f);
    int status = -1;
    std::string out = run("jq -e '" + filter + "' " + path + " 2>&1", &status);
    if (status != 0) print_message("jq -e '%s': %s", filter.c_str(), out.c_str());
    return status == 0;
}

uint64_t id_of(const Stream::Message& m) {
    assert_false(m.id.empty());
    return std::stoull(m.id);
}

}  // namespace

static void json_that_jq_reads_by_path(void**) {
    if (run("command -v jq").empty()) skip();
    TestDaemon d(config());
    assert_true(d.started());
    assert_true(adversary::echo_sessions(d.port("echo", "tcp"), 1));
    std::string ctl = harness::smallctl_bin() + " -s " + d.control_socket();
    std::string stats = run(ctl + " -j stats");
    assert_true(jq(d, stats, ".data.version == 2"));
    assert_true(jq(d, stats, ".data.conn.accepted_total == 1 and .data.conn.current == 0"));
    assert_true(jq(d, stats, ".data.process.uptime_seconds > 0"));
    assert_true(jq(d, stats, ".data.instances.echo.tcp.conn.rejected_total.acl == 0"));
    assert_true(jq(d, stats, ".data.instances.stamp.udp.stamp.reflected_total == 0"));
    // No key with a dot anywhere: every name is a path.
    assert_true(jq(d, stats, "[paths | .[] | strings | select(contains(\".\"))] == []"));
    // Buckets: [le, cumulative count], le numeric and ascending, +Inf last.
    const std::string buckets = ".data.instances.echo.tcp.session.duration_seconds_bucket";
    assert_true(jq(d, stats, buckets + " | .[-1] == [\"+Inf\", 1]"));
    assert_true(jq(d, stats, buckets + " | .[:-1] | map(.[0]) | . == sort and all(numbers)"));
    assert_true(
        jq(d, stats, ".data.instances.stamp.udp.stamp.processing_seconds_bucket | .[-2][0] == 10"));

    uint16_t metrics = protect::metrics_port(d);
    std::string live = protect::http_get(metrics, "/stats.json");
    assert_true(jq(d, live, ".version == 2 and .stats.version == 2"));
    assert_true(jq(d, live, ".stats.conn.accepted_total == 1"));

    std::string text = protect::http_get(metrics, "/metrics");
    assert_non_null(strstr(text.c_str(), "\nprocess_start_time_seconds "));
    assert_null(strstr(text.c_str(), "smalld_process_uptime_seconds"));
    assert_non_null(strstr(text.c_str(),
                           "smalld_stamp_processing_seconds_bucket{service=\"stamp\","
                           "type=\"stamp\",proto=\"udp\",le=\"10\"} 0\n"));
}

static void event_stream_resumes_with_last_event_id(void**) {
    TestDaemon d(config());
    assert_true(d.started());
    uint16_t metrics = protect::metrics_port(d), echo = d.port("echo", "tcp");
    uint64_t last = 0;
    {
        Stream first(metrics, 1);
        assert_str_eq(first.head.status_line, "HTTP/1.1 200 OK");
        assert_true(adversary::echo_sessions(echo, 1));
        for (const char* kind : {"session_open", "session_close"}) {
            Stream::Message m = first.next_message();
            assert_str_eq(m.event, kind);  // event: names the kind
            assert_str_eq(m.data["event"].get<std::string>(), kind);
            uint64_t id = id_of(m);
            if (last) assert_true(id == last + 1);
            last = id;
        }
    }
    // Missed while away: two sessions, four events.
    assert_true(adversary::echo_sessions(echo, 2));
    Stream again(metrics, 2, 0, "Last-Event-ID: " + std::to_string(last) + "\r\n");
    assert_str_eq(again.head.status_line, "HTTP/1.1 200 OK");
    for (const char* kind : {"session_open", "session_close", "session_open", "session_close"}) {
        Stream::Message m = again.next_message();
        assert_str_eq(m.event, kind);
        assert_true(id_of(m) == last + 1);
        last = id_of(m);
    }
    // Then the live ones, nothing missed twice, nothing skipped.
    assert_true(adversary::echo_sessions(echo, 1));
    Stream::Message live = again.next_message();
    assert_str_eq(live.event, "session_open");
    assert_true(id_of(live) == last + 1);

    // An id that is not this run's: what it missed is unknown, and said so,
    // then the history that is here.
    Stream stranger(metrics, 3, 0, "Last-Event-ID: 17\r\n");
    Stream::Message lost = stranger.next_message();
    assert_str_eq(lost.event, "lost");
    assert_true(lost.data["count"].is_null());
    Stream::Message oldest = stranger.next_message();
    assert_str_eq(oldest.event, "session_open");
    assert_true(id_of(oldest) < last);
}

int main() {
    return run_test_group({cmocka_unit_test(json_that_jq_reads_by_path),
                           cmocka_unit_test(event_stream_resumes_with_last_event_id)});
}
