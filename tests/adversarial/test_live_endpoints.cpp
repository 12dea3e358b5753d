// SPDX-License-Identifier: BSD-2-Clause
// The live page's endpoints on the [metrics] listener, through the real
// daemon over raw sockets: a control-socket monitor and an /events stream
// get the same events side by side (both subscribe to the daemon's event
// bus), and the stream a keep-alive comment while nothing happens;
// /stats.json and the page show the exact counters of a known load;
// /healthz is 200 while the daemon serves and 503 while it stops; HEAD of
// each endpoint is framed like its GET; the event streams are capped, and a
// reader that stops reading is closed and counted, not buffered without end.
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "event_stream.h"
#include "harness.h"
#include "live_stream.h"

#include "../cmocka.hpp"

using namespace harness;
using Ctl = harness::ControlClient;
using harness::HttpResponse;
using harness::read_response;
using json = nlohmann::json;
using adversary::Stream;
using smalld::LiveStream;

namespace {

std::string config(const std::string& daemon_extra = "") {
    return protect::config_head(daemon_extra) +
           // The streams here see what a monitor sees, peers included
           // (test_network_privacy.cpp: what the others see).
           "[metrics]\nlisten = 127.0.0.1:0\ndetails = 127.0.0.0/8\n\n"
           "[echo]\ntcp = 127.0.0.1:0\nudp = 127.0.0.1:0\nrate = 0/s\nper_source = 0\n";
}

HttpResponse request(uint16_t port, const std::string& method, const std::string& path) {
    int fd = tcp_connect(port);
    assert_true(fd >= 0);
    std::string buffer;
    assert_true(send_all(fd, method + " " + path + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    HttpResponse r = read_response(fd, buffer, method == "HEAD");
    close(fd);
    return r;
}

json stats_json(uint16_t port) {
    HttpResponse r = request(port, "GET", "/stats.json");
    assert_str_eq(r.status_line, "HTTP/1.1 200 OK");
    assert_str_eq(r.headers["content-type"], "application/json");
    return json::parse(r.body);
}

// Streams the daemon closed because their readers did not take their
// output: behind by the queue's bound, or stalled for DrainWatch::kStallMs.
int slow_readers_closed(uint16_t metrics) {
    json counts = stats_json(metrics)["stats"]["metrics"];
    return counts["streams_dropped_total"].get<int>() + counts["streams_stalled_total"].get<int>();
}

const json* row(const json& snapshot, const std::string& key) {
    for (const auto& r : snapshot["rows"])
        if (r["instance"].get<std::string>() + "/" + r["proto"].get<std::string>() == key)
            return &r;
    return nullptr;
}

}  // namespace

static void monitor_and_event_stream_get_the_same_events(void**) {
    TestDaemon d(config());
    assert_true(d.started());
    uint16_t metrics = protect::metrics_port(d);
    auto monitor = std::make_unique<Ctl>(d.control_socket());
    assert_true(monitor->request("monitor")["ok"] == true);
    Stream stream(metrics);
    assert_str_eq(stream.head.status_line, "HTTP/1.1 200 OK");
    assert_str_eq(stream.head.headers["content-type"], "text/event-stream");
    assert_true(stream.head.headers.count("content-length") == 0);
    // The stream's subscription is made by the time its headers arrived.
    constexpr int kSessions = 3;
    assert_true(adversary::echo_sessions(d.port("echo", "tcp"), kSessions));
    for (int i = 0; i < 2 * kSessions; ++i) {
        json from_monitor = json::parse(monitor->line(), nullptr, false);
        json from_stream = stream.next();
        assert_true(from_monitor.is_object() && from_stream.is_object());
        const char* kind = i % 2 == 0 ? "session_open" : "session_close";
        assert_str_eq(from_monitor["event"].get<std::string>(), kind);
        // The same event, time stamp and all.
        assert_str_eq(from_stream.dump(), from_monitor.dump());
    }
    // A reload reaches both, too.
    Ctl admin(d.control_socket());
    assert_true(admin.request("reload")["ok"] == true);
    json reload_monitor = json::parse(monitor->line(), nullptr, false);
    json reload_stream = stream.next();
    assert_str_eq(reload_monitor["event"].get<std::string>(), "reload");
    assert_str_eq(reload_stream.dump(), reload_monitor.dump());
    // With the monitor gone, the stream goes on alone.
    monitor.reset();
    assert_true(adversary::echo_sessions(d.port("echo", "tcp"), 1));
    assert_str_eq(stream.next()["event"].get<std::string>(), "session_open");
    // Quiet, the stream gets a comment every 15 s, so that proxies and
    // browsers keep it open.
    assert_true(stream.wait_for(std::string(LiveStream::kKeepAlive),
                                kPatienceMs + LiveStream::kKeepAliveMs));
}

static void stats_json_and_page_show_the_exact_counters(void**) {
    TestDaemon d(config());
    assert_true(d.started());
    uint16_t metrics = protect::metrics_port(d);
    constexpr int kSessions = 7, kDatagrams = 5;
    assert_true(adversary::echo_sessions(d.port("echo", "tcp"), kSessions));
    for (int i = 0; i < kDatagrams; ++i)
        assert_str_eq(udp_exchange(d.port("echo", "udp"), "dgram"), "dgram");
    // A held session is listed live.
    int held = tcp_connect(d.port("echo", "tcp"));
    assert_true(held >= 0);
    assert_true(eventually([&] { return stats_json(metrics)["sessions_open"] == 1; }));
    json s = stats_json(metrics);
    const json* tcp = row(s, "echo/tcp");
    const json* udp = row(s, "echo/udp");
    assert_non_null(tcp);
    assert_non_null(udp);
    assert_int_equal((*tcp)["sessions_total"].get<int>(), kSessions + 1);
    assert_int_equal((*tcp)["open"].get<int>(), 1);
    assert_int_equal((*tcp)["read_bytes_total"].get<int>(), 5 * kSessions);
    assert_int_equal((*udp)["datagrams_in_total"].get<int>(), kDatagrams);
    assert_int_equal((*udp)["datagrams_out_total"].get<int>(), kDatagrams);
    assert_true((*udp)["open"].is_null());
    assert_true(s["stats"]["instances"]["echo"]["tcp"]["sessions_total"] == kSessions + 1);
    assert_int_equal(s["sessions"].size(), 1);
    assert_str_eq(s["sessions"][0]["instance"].get<std::string>(), "echo");
    assert_str_eq(s["daemon"]["state"].get<std::string>(), "running");
    assert_true(s["series"]["sessions"].is_array());
    // The page, without JavaScript, shows the same numbers.
    HttpResponse page = request(metrics, "GET", "/");
    assert_str_eq(page.status_line, "HTTP/1.1 200 OK");
    assert_str_eq(page.headers["content-type"], "text/html; charset=utf-8");
    assert_non_null(strstr(page.headers["content-security-policy"].c_str(), "default-src 'none'"));
    std::string cell = "data-row=\"echo/tcp\"";
    size_t at = page.body.find(cell);
    assert_true(at != std::string::npos);
    std::string tcp_row = page.body.substr(at, page.body.find("</tr>", at) - at);
    assert_non_null(strstr(tcp_row.c_str(),
                           ("data-field=\"sessions_total\" data-label=\"sessions\" data-value=\"" +
                            std::to_string(kSessions + 1) + "\"")
                               .c_str()));
    close(held);
}

static void healthz_and_head_framing(void**) {
    TestDaemon d(config("shutdown_timeout = 60s\n"));
    assert_true(d.started());
    uint16_t metrics = protect::metrics_port(d);
    HttpResponse ok = request(metrics, "GET", "/healthz");
    assert_str_eq(ok.status_line, "HTTP/1.1 200 OK");
    assert_str_eq(ok.body, "ok\n");
    for (const char* path : {"/healthz", "/stats.json", "/", "/metrics", "/favicon.svg"}) {
        HttpResponse head = request(metrics, "HEAD", path);
        assert_str_eq(head.status_line, "HTTP/1.1 200 OK");
        assert_true(head.complete && head.body.empty());
        assert_true(std::stoul(head.headers["content-length"]) > 0);
    }
    // HEAD of the stream: its headers, no body, and the connection closes.
    HttpResponse head = request(metrics, "HEAD", "/events");
    assert_str_eq(head.status_line, "HTTP/1.1 200 OK");
    assert_str_eq(head.headers["content-type"], "text/event-stream");
    assert_str_eq(head.headers["connection"], "close");
    assert_true(head.headers.count("content-length") == 0);
    assert_str_eq(request(metrics, "GET", "/nope").status_line, "HTTP/1.1 404 Not Found");
    // Stopping, with a session that cannot finish: an echo client that
    // sends and does not read, so the daemon holds replies it cannot send.
    int held = tcp_connect(d.port("echo", "tcp"));
    assert_true(held >= 0);
    std::string chunk(65536, 'x');
    size_t sent = 0;
    for (int i = 0; i < 4096; ++i) {  // at most 256 MiB; the buffers fill long before
        ssize_t n = send(held, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) sent += size_t(n);
        if (n < 0 && errno == EAGAIN) {
            if (!wait_fd(held, POLLOUT, kQuietMs)) break;  // the daemon stopped reading
        }
    }
    assert_true(sent > 0);
    d.signal(SIGTERM);
    assert_true(
        eventually([&] { return request(metrics, "GET", "/healthz").body == "stopping\n"; }));
    assert_str_eq(request(metrics, "GET", "/healthz").status_line,
                  "HTTP/1.1 503 Service Unavailable");
    close(held);
    assert_int_equal(d.wait_exit(kPatienceMs), 0);
}

static void streams_are_capped_and_slow_readers_dropped(void**) {
    TestDaemon d(config());
    assert_true(d.started());
    uint16_t metrics = protect::metrics_port(d);
    {
        // Up to the cap, from several sources (each source may hold 2 streams).
        std::vector<std::unique_ptr<Stream>> streams;
        for (int i = 0; i < 16; ++i) {
            streams.push_back(std::make_unique<Stream>(metrics, 2 + i / 2));
            assert_str_eq(streams.back()->head.status_line, "HTTP/1.1 200 OK");
        }
        // A source beyond its share is refused; a new source at the cap gets a
        // stream, and one of the others is closed for it.
        Stream refused(metrics, 9);
        assert_str_eq(refused.head.status_line, "HTTP/1.1 503 Service Unavailable");
        Stream newcomer(metrics, 20);
        assert_str_eq(newcomer.head.status_line, "HTTP/1.1 200 OK");
        assert_true(stats_json(metrics)["stats"]["metrics"]["streams_evicted_total"] == 1);
        // One closes: there is room again.
        streams.pop_back();
        assert_true(eventually([&] {
            Stream again(metrics, 10);
            return again.head.status_line == "HTTP/1.1 200 OK";
        }));
    }
    // We have closed every stream above: none of them read, so one left open
    // (the newcomer was) would fill at the stalled one's pace and be closed
    // beside it, as often as not in the same round: the count below would go
    // from 0 to 2, and the one that mattered be hidden.
    // A reader that stops reading: its queue grows to the bound, then it is
    // closed and counted, while a reading stream beside it goes on.
    Stream stalled(metrics, 11, 4096);
    assert_str_eq(stalled.head.status_line, "HTTP/1.1 200 OK");
    Stream reader(metrics, 12);
    uint16_t echo = d.port("echo", "tcp");
    int closed = 0;
    for (int round = 0; round < 400 && closed == 0; ++round) {
        for (int i = 0; i < 50; ++i) {
            int fd = tcp_connect(echo);
            assert_true(fd >= 0);
            close(fd);
        }
        while (reader.fill(0)) {
        }
        // Behind by the bound, or (on a machine slow enough) stalled for
        // DrainWatch::kStallMs first: either way closed and counted.
        closed = slow_readers_closed(metrics);
    }
    // A loaded machine may accept the last rounds' connections late, so the
    // bound is not reached in the loop: the reader still takes nothing, so
    // within DrainWatch::kStallMs (15 s) it is closed as stalled.
    if (closed == 0)
        eventually([&] {
            while (reader.fill(0)) {
            }
            closed = slow_readers_closed(metrics);
            return closed > 0;
        });
    if (closed != 1)
        fprintf(stderr, "slow readers closed: %d (want the stalled stream alone): %s\n", closed,
                stats_json(metrics)["stats"]["metrics"].dump().c_str());
    assert_int_equal(closed, 1);
    // The one closed is the stalled stream: read now, it ends (after what
    // the kernel still held for it).
    assert_true(stalled.read_to_end());
    // The reader still gets events: what was queued, then a new session's.
    while (reader.next(kQuietMs).is_object()) {
    }
    assert_true(adversary::echo_sessions(echo, 1));
    json next = reader.next();
    assert_true(next.is_object());
    assert_str_eq(next["event"].get<std::string>(), "session_open");
    assert_int_equal(slow_readers_closed(metrics), 1);
    // Logged, at most 5 times in 10 s: the daemon may see the cleared
    // streams' ends only after the newcomers above evicted some of them, and
    // those lines can take the burst; the limiter's summary then counts it.
    assert_true(d.wait_for_log("event stream of 127.0.0.11:", kQuietMs) ||
                d.wait_for_log("metrics: event streams: suppressed"));
}

int main() {
    return run_test_group({cmocka_unit_test(monitor_and_event_stream_get_the_same_events),
                           cmocka_unit_test(stats_json_and_page_show_the_exact_counters),
                           cmocka_unit_test(healthz_and_head_framing),
                           cmocka_unit_test(streams_are_capped_and_slow_readers_dropped)});
}
