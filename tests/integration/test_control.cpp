// SPDX-License-Identifier: BSD-2-Clause
// The control socket, smallctl and the metrics endpoint, through the real
// daemon and the real smallctl binary.
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "control_server.h"
#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using harness::TestDaemon;
using smalld::ControlServer;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kConfig = harness::control_head() + R"(
[metrics]
listen = 127.0.0.1:0
[echo]
tcp = 127.0.0.1:0
udp = 127.0.0.1:0
rate = 0/s
)";

using Ctl = harness::ControlClient;

using protect::http_get;
using protect::metrics_port;

// Polls `stats` until conn.current is 0 (sessions finished).
bool wait_idle(Ctl& ctl) {
    return harness::eventually(
        [&] { return ctl.request("stats")["data"]["conn"]["current"] == 0; });
}

}  // namespace

static void every_command_over_the_socket(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    struct stat st {};
    assert_int_equal(stat(d.control_socket().c_str(), &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0666);

    Ctl ctl(d.control_socket());
    assert_true(ctl.ok());
    json r = ctl.request("status");
    assert_true(r["ok"] == true);
    assert_int_equal(r["data"]["pid"].get<int>(), d.pid());
    assert_str_eq(r["data"]["state"].get<std::string>(), "running");
    assert_str_eq(r["data"]["config"].get<std::string>(), d.config_path());
    assert_str_eq(r["data"]["last_reload"].get<std::string>(), "none");

    r = ctl.request(R"({"command":"listeners"})");
    assert_true(r["ok"] == true);
    assert_int_equal(r["data"].size(), 2);
    for (const auto& l : r["data"])
        assert_int_equal(l["port"].get<int>(), d.port("echo", l["proto"].get<std::string>()));

    // A live session shows up in conns and can be killed.
    int fd = harness::tcp_connect(d.port("echo", "tcp"));
    assert_true(fd >= 0);
    assert_true(harness::send_all(fd, "ping\n"));
    assert_str_eq(harness::recv_exactly(fd, 5), "ping\n");
    r = ctl.request("conns");
    assert_int_equal(r["data"].size(), 1);
    uint64_t id = r["data"][0]["id"].get<uint64_t>();
    assert_int_equal(r["data"][0]["bytes_in"].get<int>(), 5);
    assert_str_eq(r["data"][0]["instance"].get<std::string>(), "echo");
    r = ctl.request(R"({"command":"conn kill","args":[)" + std::to_string(id) + "]}");
    assert_true(r["ok"] == true);
    assert_str_eq(harness::recv_until_eof(fd, 100), "");
    close(fd);
    r = ctl.request("conn kill " + std::to_string(id));
    assert_true(r["ok"] == false);
    assert_str_eq(r["code"].get<std::string>(), "failed");
    assert_int_equal(ctl.request("conns")["data"].size(), 0);

    r = ctl.request("log-level debug");
    assert_str_eq(r["data"]["log_level"].get<std::string>(), "debug");
    assert_true(d.wait_for_log("log level set to debug"));
    r = ctl.request("log-level shouty");
    assert_true(r["ok"] == false);

    r = ctl.request("metrics");
    assert_true(r["data"].is_string());
    assert_non_null(strstr(r["data"].get<std::string>().c_str(), "smalld_build_info{version="));

    r = ctl.request("stats");
    assert_true(r["data"]["control"]["commands_total"].get<int>() >= 9);
    r = ctl.request("stats reset");
    assert_true(r["ok"] == true);
    r = ctl.request("stats");
    // The reset itself and this stats are the only commands since.
    assert_int_equal(r["data"]["control"]["commands_total"].get<int>(), 1);
    assert_int_equal(r["data"]["instances"]["echo"]["tcp"]["sessions_total"].get<int>(), 0);

    // A monitor sees sessions and reloads; the reload reply lists the changes.
    Ctl monitor(d.control_socket());
    r = monitor.request("monitor");
    assert_true(r["data"]["monitoring"] == true);
    fd = harness::tcp_connect(d.port("echo", "tcp"));
    assert_true(fd >= 0);
    json open = json::parse(monitor.line(), nullptr, false);
    assert_str_eq(open["event"].get<std::string>(), "session_open");
    assert_true(open["time"].is_number());
    close(fd);
    json closed = json::parse(monitor.line(), nullptr, false);
    assert_str_eq(closed["event"].get<std::string>(), "session_close");

    d.write_config(std::string(kConfig) + "[echo-lab]\ntype = echo\ntcp = 127.0.0.1:0\n");
    r = ctl.request("reload");
    assert_true(r["ok"] == true);
    std::string changes = r["data"]["changes"].dump();
    assert_non_null(strstr(changes.c_str(), "added instance [echo-lab]"));
    json reloaded = json::parse(monitor.line(), nullptr, false);
    assert_str_eq(reloaded["event"].get<std::string>(), "reload");
    assert_true(reloaded["ok"] == true);
    assert_str_eq(ctl.request("status")["data"]["last_reload"].get<std::string>(), "ok");
    json good = ctl.request("stats")["data"];
    assert_int_equal(good["config"]["last_reload_successful"].get<int>(), 1);
    double success_at = good["config"]["last_reload_success_timestamp_seconds"].get<double>();
    assert_true(success_at > 1.6e9);

    d.write_config(std::string(kConfig) + "[echo]\nbogus = 1\n");
    r = ctl.request("reload");
    assert_true(r["ok"] == false);
    assert_str_eq(r["code"].get<std::string>(), "failed");
    assert_true(r["errors"].is_array() && r["errors"].size() >= 1);
    assert_int_equal(ctl.request("listeners")["data"].size(), 3);  // old config kept
    // The gauges say the last reload failed, and when the last good one was.
    json bad = ctl.request("stats")["data"];
    assert_int_equal(bad["config"]["last_reload_successful"].get<int>(), 0);
    assert_true(bad["config"]["last_reload_success_timestamp_seconds"].get<double>() == success_at);
}

static void bad_requests_keep_the_connection(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    Ctl ctl(d.control_socket());
    assert_true(ctl.ok());

    json r = ctl.request(std::string(5000, 'a'));
    assert_true(r["ok"] == false);
    assert_str_eq(r["code"].get<std::string>(), "too_long");
    assert_true(ctl.request("status")["ok"] == true);

    // Far over the limit, in one go: one error, then the next line is served.
    r = ctl.request(std::string(100'000, 'b'));
    assert_str_eq(r["code"].get<std::string>(), "too_long");
    assert_true(ctl.request("status")["ok"] == true);

    r = ctl.request("stat\xff\xfes");
    assert_str_eq(r["code"].get<std::string>(), "bad_request");
    assert_str_eq(r["error"].get<std::string>(), "request is not valid UTF-8");
    r = ctl.request(std::string("\x01\x02\x03\x00\x7f binary", 11));
    assert_str_eq(r["code"].get<std::string>(), "bad_request");
    r = ctl.request("frobnicate now");
    assert_str_eq(r["code"].get<std::string>(), "unknown_command");
    r = ctl.request("{\"command\": ");
    assert_str_eq(r["code"].get<std::string>(), "bad_request");
    r = ctl.request("conn kill");
    assert_str_eq(r["code"].get<std::string>(), "usage");
    r = ctl.request("stat");  // the socket takes full words
    assert_str_eq(r["code"].get<std::string>(), "unknown_command");
    assert_true(ctl.request("status")["ok"] == true);

    // Several requests in one write, one reply each, in order.
    assert_true(ctl.send("status\nbogus\n\nstats\n"));
    assert_true(json::parse(ctl.line())["ok"] == true);
    assert_true(json::parse(ctl.line())["ok"] == false);
    assert_true(json::parse(ctl.line())["data"].contains("instances"));

    // Half a line, then silence: closed after the timeout (not before it; when
    // after it depends on the machine's load). Meanwhile a client
    // whose every write ends mid-line, but which keeps finishing lines, is
    // served for longer than that timeout: the deadline is per line.
    Ctl stalled(d.control_socket());
    assert_true(stalled.send("stat"));
    auto start = Clock::now();
    auto stalled_closed = start;
    std::thread watch([&] {
        stalled.line(ControlServer::kPartialLineTimeoutMs + harness::kPatienceMs);
        stalled_closed = Clock::now();
    });
    const auto line_timeout = std::chrono::milliseconds(ControlServer::kPartialLineTimeoutMs);
    Ctl streaming(d.control_socket());
    bool sent = streaming.send("sta");
    auto last_served = start;
    while (sent && Clock::now() - start < line_timeout + std::chrono::seconds(2)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
        sent = streaming.send("tus\nsta");
        json reply = json::parse(streaming.line(), nullptr, false);
        if (!reply.is_object() || reply["ok"] != true) break;
        last_served = Clock::now();
    }
    assert_true(streaming.send("tus\n"));
    json last = json::parse(streaming.line(), nullptr, false);
    bool last_ok = last.is_object() && last["ok"] == true;
    watch.join();
    assert_true(last_ok);
    assert_true(last_served - start > line_timeout + std::chrono::seconds(1));
    assert_true(stalled.eof());
    auto waited = std::chrono::duration_cast<std::chrono::seconds>(stalled_closed - start).count();
    assert_true(waited >= 9);
    // An idle client with no partial line is not closed.
    assert_true(ctl.request("status")["ok"] == true);
}

static void many_clients_at_once(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    std::vector<std::unique_ptr<Ctl>> clients;
    for (int i = 0; i < 60; ++i) {
        clients.push_back(std::make_unique<Ctl>(d.control_socket()));
        assert_true(clients.back()->ok());
        assert_true(clients.back()->send("status\n"));
    }
    for (auto& c : clients) assert_true(json::parse(c->line())["ok"] == true);
    // A client that never reads does not stop the others.
    Ctl greedy(d.control_socket());
    std::string many;
    for (int i = 0; i < 2000; ++i) many += "stats\n";
    (void)greedy.send(many);
    assert_true(clients.front()->request("status")["ok"] == true);
}

// Two monitors: one reads, one does not. The reader sees every event; the
// other loses events once its queue is full and is told how many.
static void monitors_and_drops(void**) {
    // No per-source cap: every connection is a session, two events each
    // (refusals would come coalesced, too few to fill a monitor).
    TestDaemon d(std::string(kConfig) + "per_source = 0\n");
    assert_true(d.started());
    Ctl reader(d.control_socket()), stalled(d.control_socket());
    assert_true(reader.request("monitor")["ok"] == true);
    assert_true(stalled.request("monitor")["ok"] == true);
    const int sessions = 2500;
    // What the reader is owed, once the daemon has handled every connection
    // (-1 until then): two events per session, and each refusal once,
    // counted through the "count" of coalesced "rejected" events.
    std::atomic<int64_t> owed{-1};
    // A reader that falls 256 KiB behind (a loaded machine) loses events too,
    // told by a "dropped" notice with their count: the count accounts for them.
    int64_t seen = 0, accounted = 0, reader_dropped = 0;
    int opened = 0;
    std::thread drain([&] {
        auto last_event = Clock::now();
        while (owed < 0 || accounted < owed) {
            std::string line = reader.line(200);
            if (line.empty()) {
                if (reader.eof() ||
                    Clock::now() - last_event > std::chrono::milliseconds(harness::kPatienceMs))
                    break;
                continue;
            }
            last_event = Clock::now();
            json e = json::parse(line, nullptr, false);
            if (e["event"] == "dropped") {
                reader_dropped += e.value("count", int64_t(0));
                accounted += e.value("count", int64_t(0));
                continue;
            }
            ++seen;
            opened += e["event"] == "session_open";
            // Refusals come coalesced: the first of a second, then a count.
            accounted += e["event"] == "rejected" ? e.value("count", int64_t(1)) : int64_t(1);
        }
    });
    uint16_t port = d.port("echo", "tcp");
    int connected = 0;
    for (int i = 0; i < sessions; ++i) {
        int fd = harness::tcp_connect(port);
        if (fd >= 0) close(fd);
        connected += fd >= 0;
    }
    // Every connection is an event (rejected) or two (session_open, _close):
    // wait until the daemon has handled them all.
    Ctl ctl(d.control_socket());
    int64_t expected = -1;
    bool handled = harness::eventually([&] {
        json tcp = ctl.request("stats")["data"]["instances"]["echo"]["tcp"];
        if (!tcp.is_object()) return false;
        int64_t total = tcp["sessions_total"].get<int64_t>(), rejected = 0;
        for (const auto& n : tcp["conn"]["rejected_total"]) rejected += n.get<int64_t>();
        expected = 2 * total + rejected;
        return total + rejected == connected && tcp["sessions_current"] == 0;
    });
    if (!handled) fprintf(stderr, "the daemon did not handle all %d connections\n", connected);
    owed = handled ? expected : 0;
    drain.join();
    assert_int_equal(connected, sessions);
    assert_true(handled);
    if (accounted != expected)
        fprintf(stderr, "the reading monitor's events account for %lld of %lld\n",
                (long long)accounted, (long long)expected);
    assert_true(accounted == expected && opened > 0);
    if (reader_dropped > 0)
        fprintf(stderr, "the reading monitor fell behind and lost %lld events\n",
                (long long)reader_dropped);
    // Every event the daemon broadcast: what the reader got, and what it lost.
    const int64_t broadcast = seen + reader_dropped;

    // The stalled monitor: events in order, then a "dropped" notice; together
    // they account for every event broadcast.
    int events = 0;
    uint64_t dropped = 0;
    while (uint64_t(events) + dropped < uint64_t(broadcast)) {
        std::string line = stalled.line();
        if (line.empty()) break;
        json e = json::parse(line, nullptr, false);
        assert_false(e.is_discarded());
        if (e["event"] == "dropped")
            dropped += e["count"].get<uint64_t>();
        else
            ++events;
    }
    assert_true(dropped > 0);
    assert_int_equal(uint64_t(events) + dropped, uint64_t(broadcast));
    // The same loss is a counter, in stats and in the metrics.
    dropped += uint64_t(reader_dropped);
    json stats = ctl.request("stats");
    assert_int_equal(stats["data"]["control"]["events_dropped_total"].get<uint64_t>(), dropped);
    std::string metrics = ctl.request("metrics")["data"].get<std::string>();
    assert_non_null(strstr(
        metrics.c_str(),
        ("\nsmalld_control_events_dropped_total " + std::to_string(dropped) + "\n").c_str()));
    // Still a working connection afterwards.
    assert_true(stalled.request("status")["ok"] == true);
}

static void stats_add_up(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    Ctl ctl(d.control_socket());
    const int sessions = 8;
    const size_t bytes = 5000;
    std::string payload(bytes, 'x');
    for (int i = 0; i < sessions; ++i) {
        int fd = harness::tcp_connect(d.port("echo", "tcp"));
        assert_true(fd >= 0);
        assert_true(harness::send_all(fd, payload));
        assert_int_equal(harness::recv_exactly(fd, bytes).size(), bytes);
        close(fd);
    }
    for (int i = 0; i < 3; ++i)
        assert_int_equal(harness::udp_exchange(d.port("echo", "udp"), "hello").size(), 5);
    assert_true(wait_idle(ctl));
    json s = ctl.request("stats")["data"];
    const auto& tcp = s["instances"]["echo"]["tcp"];
    const auto& udp = s["instances"]["echo"]["udp"];
    assert_int_equal(tcp["sessions_total"].get<uint64_t>(), sessions);
    assert_int_equal(tcp["sessions_current"].get<uint64_t>(), 0);
    assert_int_equal(tcp["read_bytes_total"].get<uint64_t>(), sessions * bytes);
    assert_int_equal(tcp["written_bytes_total"].get<uint64_t>(), sessions * bytes);
    assert_int_equal(s["conn"]["accepted_total"].get<uint64_t>(), sessions);
    assert_int_equal(udp["datagrams_in_total"].get<uint64_t>(), 3);
    assert_int_equal(udp["datagrams_out_total"].get<uint64_t>(), 3);
    assert_int_equal(udp["read_bytes_total"].get<uint64_t>(), 15);
    assert_int_equal(udp["written_bytes_total"].get<uint64_t>(), 15);

    // The endpoint shows the same numbers.
    std::string text = http_get(metrics_port(d), "/metrics");
    std::string line = "smalld_read_bytes_total{service=\"echo\",type=\"echo\",proto=\"tcp\"} " +
                       std::to_string(sessions * bytes) + "\n";
    assert_non_null(strstr(text.c_str(), line.c_str()));
    assert_non_null(strstr(
        text.c_str(), "smalld_sessions_total{service=\"echo\",type=\"echo\",proto=\"tcp\"} 8\n"));
    // Every one of those sessions is in the duration histogram.
    assert_non_null(strstr(text.c_str(),
                           "smalld_session_duration_seconds_count{service=\"echo\",type=\"echo\","
                           "proto=\"tcp\"} 8\n"));
    assert_true(s["instances"]["echo"]["tcp"]["session"]["duration_seconds_count"] == 8);
    // The process metrics are the daemon's, not the test's.
    int fd_limit = std::stoi(harness::run("awk '/Max open files/ {print $4}' /proc/" +
                                          std::to_string(d.pid()) + "/limits"));
    assert_non_null(
        strstr(text.c_str(), ("\nprocess_max_fds " + std::to_string(fd_limit) + "\n").c_str()));
    assert_non_null(strstr(text.c_str(), "\nsmalld_config_last_reload_successful 1\n"));
}

static void metrics_endpoint(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    uint16_t port = metrics_port(d);
    assert_true(port > 0);
    std::string base = "http://127.0.0.1:" + std::to_string(port);
    int status = -1;
    std::string headers =
        harness::run("curl -sS --max-time 30 -o /dev/null -D - " + base + "/metrics", &status);
    assert_int_equal(status, 0);
    assert_non_null(strstr(headers.c_str(), "200 OK"));
    assert_non_null(strstr(headers.c_str(), "Content-Type: text/plain; version=0.0.4"));
    std::string code =
        harness::run("curl -s --max-time 30 -o /dev/null -w '%{http_code}' " + base + "/other");
    assert_str_eq(code, "404");
    code = harness::run("curl -s --max-time 30 -o /dev/null -w '%{http_code}' -X POST " + base +
                        "/metrics");
    assert_str_eq(code, "405");
    if (harness::run("command -v promtool").empty()) {
        fprintf(stderr, "promtool missing (apt-get install prometheus)\n");
        fail();
    }
    std::string lint = harness::run(
        "curl -sS --max-time 30 " + base + "/metrics | promtool check metrics 2>&1", &status);
    if (status != 0) fprintf(stderr, "promtool: %s\n", lint.c_str());
    assert_int_equal(status, 0);
    // smallctl metrics is the same text, line for line, but for the samples
    // that change between two reads: the process_* ones, and the control command
    // counter that the smallctl request itself moves.
    std::string via_http = http_get(port, "/metrics", &status);
    assert_int_equal(status, 0);
    std::string via_ctl = smallctl(d, "metrics", &status);
    assert_int_equal(status, 0);
    assert_non_null(strstr(via_ctl.c_str(), "# TYPE smalld_sessions_total counter\n"));
    assert_non_null(strstr(via_ctl.c_str(), "smalld_build_info{version=\""));
    auto stable = [](const std::string& text) {
        std::string out;
        size_t start = 0;
        while (start < text.size()) {
            size_t end = text.find('\n', start);
            if (end == std::string::npos) end = text.size() - 1;
            std::string line = text.substr(start, end + 1 - start);
            if (line.rfind("smalld_control_commands_total ", 0) != 0 &&
                line.rfind("process_", 0) != 0)
                out += line;
            start = end + 1;
        }
        return out;
    };
    assert_true(via_http.size() > 1000);
    assert_str_eq(stable(via_ctl), stable(via_http));
}

static void smallctl_commands(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    int status = -1;
    std::string out = smallctl(d, "sta", &status);
    assert_int_equal(status, 0);
    assert_non_null(strstr(out.c_str(), "state:       running"));
    assert_non_null(strstr(out.c_str(), ("pid:         " + std::to_string(d.pid())).c_str()));
    out = smallctl(d, "-j status", &status);
    assert_int_equal(status, 0);
    assert_int_equal(json::parse(out)["data"]["pid"].get<int>(), d.pid());
    out = smallctl(d, "st", &status);
    assert_int_equal(status, 2);
    assert_non_null(strstr(out.c_str(), "ambiguous"));
    out = smallctl(d, "frobnicate", &status);
    assert_int_equal(status, 2);
    out = smallctl(d, "conn kill", &status);
    assert_int_equal(status, 2);

    out = smallctl(d, "stats", &status);
    assert_int_equal(status, 0);
    assert_non_null(strstr(out.c_str(), "INSTANCE"));
    assert_non_null(strstr(out.c_str(), "conn.accepted_total"));
    out = smallctl(d, "li", &status);
    assert_int_equal(status, 0);
    assert_non_null(
        strstr(out.c_str(), (" " + std::to_string(d.port("echo", "tcp")) + "  config").c_str()));

    int fd = harness::tcp_connect(d.port("echo", "tcp"));
    assert_true(fd >= 0);
    assert_true(harness::send_all(fd, "x"));
    assert_str_eq(harness::recv_exactly(fd, 1), "x");
    out = smallctl(d, "-j conns", &status);
    assert_int_equal(status, 0);
    json conns = json::parse(out)["data"];
    assert_int_equal(conns.size(), 1);
    std::string id = std::to_string(conns[0]["id"].get<uint64_t>());
    out = smallctl(d, "conns", &status);
    assert_non_null(strstr(out.c_str(), "ID  INSTANCE"));
    out = smallctl(d, "conn k " + id, &status);
    assert_int_equal(status, 0);
    assert_str_eq(out, "session " + id + " killed\n");
    close(fd);
    out = smallctl(d, "conn kill " + id, &status);
    assert_int_equal(status, 1);
    assert_str_eq(out, "smallctl: conn kill: no session " + id + "\n");

    out = smallctl(d, "log-level notice", &status);
    assert_int_equal(status, 0);
    assert_str_eq(out, "log level is now notice\n");
    // Usage errors only the daemon can see are still usage errors.
    out = smallctl(d, "log-level loud", &status);
    assert_int_equal(status, 2);
    assert_non_null(strstr(out.c_str(), "log-level: expected error, warning"));
    out = smallctl(d, "conn kill abc", &status);
    assert_int_equal(status, 2);
    assert_non_null(strstr(out.c_str(), "expected a session id"));
    out = smallctl(d, "stats reset", &status);
    assert_int_equal(status, 0);
    assert_str_eq(out, "counters reset\n");

    out = smallctl(d, "reload", &status);
    assert_int_equal(status, 0);
    assert_str_eq(out, "reload: configuration unchanged\n");
    d.write_config(std::string(kConfig) + "[echo]\nbogus = 1\n[daytime]\nport = x\n");
    out = smallctl(d, "reload", &status);
    assert_int_equal(status, 1);
    assert_non_null(strstr(out.c_str(), "reload failed with"));
    assert_non_null(strstr(out.c_str(), "smalld.ini:"));
    size_t lines = size_t(std::count(out.begin(), out.end(), '\n'));
    assert_true(lines >= 3);  // the summary and every error
    d.write_config(kConfig);

    // monitor prints events until interrupted.
    std::string bin = harness::smallctl_bin();
    std::string mon_out = d.dir() + "/monitor.out";
    // It says so on stderr once the daemon has taken the request; it ends
    // when the daemon does, at the end of this test.
    harness::run("(timeout -s INT 120 " + bin + " -s " + d.control_socket() + " monitor > " +
                 mon_out + " 2>&1 &)");
    auto has = [&](const char* text) {
        return harness::slurp(mon_out).find(text) != std::string::npos;
    };
    assert_true(harness::eventually([&] { return has("smallctl: monitoring "); }));
    fd = harness::tcp_connect(d.port("echo", "tcp"));
    close(fd);
    assert_true(harness::eventually([&] { return has("session_close"); }));
    std::string mon = harness::slurp(mon_out);
    assert_non_null(strstr(mon.c_str(), " session_open id="));
    // Keys in a fixed order: who (the id, the instance, the peer), why,
    // the figures, the bytes last; not alphabetical (bytes_in= before id=).
    const char* close_line = strstr(mon.c_str(), " session_close id=");
    assert_non_null(close_line);
    std::string line(close_line, strcspn(close_line, "\n"));
    size_t at[] = {
        line.find(" id="),        line.find(" instance=echo"), line.find(" peer=127.0.0.1:"),
        line.find(" reason="),    line.find(" duration="),     line.find(" bytes_in=0"),
        line.find(" bytes_out=0")};
    for (size_t i = 0; i < std::size(at); ++i)
        if (at[i] == std::string::npos || (i > 0 && at[i] < at[i - 1]))
            fail_msg("monitor keys out of order: %s", line.c_str());
    assert_true(line.size() == at[6] + strlen(" bytes_out=0"));

    // Not running: no socket.
    out = harness::run(bin + " -s " + d.dir() + "/nothing.sock status 2>&1", &status);
    assert_int_equal(status, 3);
    assert_non_null(strstr(out.c_str(), "is smalld running?"));
}

static void permissions(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    const std::string nobody = harness::as_user("65534");
    int status = -1;
    std::string out = smallctl(d, "status", &status, nobody);
    assert_int_equal(status, 0);
    out = smallctl(d, "stats", &status, nobody);
    assert_int_equal(status, 0);
    for (const char* admin : {"stats reset", "reload", "log-level debug", "conn kill 1"}) {
        out = smallctl(d, admin, &status, nobody);
        assert_int_equal(status, 4);
        assert_non_null(strstr(out.c_str(), "permission denied"));
    }
    out = smallctl(d, "-j stats", &status);
    assert_int_equal(status, 0);
    json s = json::parse(out)["data"];
    assert_int_equal(s["control"]["denied_total"].get<int>(), 4);
    assert_int_equal(s["control"]["commands_total"].get<int>(), 7);
    assert_true(d.wait_for_log("control: denied \"stats reset\" to uid 65534"));

    // A stream of denied requests is answered in full but logged only a few
    // times, then summarised: a read-only user cannot flood the log.
    std::string many;
    for (int i = 0; i < 200; ++i) many += "stats reset\\n";
    out = harness::run("printf '" + many + "' | " + nobody +
                       "socat -t 30 - UNIX-CONNECT:" + d.control_socket());
    assert_int_equal(std::count(out.begin(), out.end(), '\n'), 200);
    assert_non_null(strstr(out.c_str(), "permission denied"));
    // The log is in order: once root's command shows, every denial line has.
    smallctl(d, "log-level info", &status);
    assert_true(d.wait_for_log("control: uid 0 runs \"log-level\""));
    std::string log = d.log();
    size_t logged = 0;
    for (size_t at = log.find("control: denied"); at != std::string::npos;
         at = log.find("control: denied", at + 1))
        ++logged;
    assert_true(logged >= 1 && logged <= 10);

    // A socket the user may not open at all: EACCES on connect.
    assert_int_equal(chmod(d.control_socket().c_str(), 0600), 0);
    out = smallctl(d, "status", &status, nobody);
    assert_int_equal(status, 4);
    out = smallctl(d, "status", &status);
    assert_int_equal(status, 0);
}

// Read-only peers that connect and say nothing cannot lock out the admin
// (the last slots are kept for uid 0 and the daemon's uid), nor their own
// user: a newcomer at the user's cap closes one of them.
static void silent_clients_leave_room_for_admin(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    // As nobody: fill every slot and say nothing until the parent is done.
    harness::ClientsAsNobody silent([&](harness::ControlClients& clients) {
        for (size_t i = 0; i < ControlServer::kMaxClients; ++i)
            clients.push_back(std::make_unique<Ctl>(d.control_socket()));
        return 0;
    });
    assert_int_equal(silent.opened(), 0);
    // Another client of the same user is served, in place of a silent one;
    // root is served.
    int status = -1;
    std::string out = smallctl(d, "status", &status, harness::as_user("65534"));
    assert_int_equal(status, 0);
    Ctl root(d.control_socket());
    json r = root.request("status");
    assert_true(r.is_object() && r["ok"] == true);
    r = root.request("stats");
    assert_true(r["data"].value("/control/clients_evicted_total"_json_pointer, uint64_t(0)) >= 1);
    assert_int_equal(silent.release(), 0);
}

static void socket_lifecycle(void**) {
    std::string path;
    {
        TestDaemon d(kConfig);
        assert_true(d.started());
        path = d.control_socket();
        // A second daemon on the same socket refuses to start.
        int status = -1;
        std::string out =
            harness::run(harness::smalld_bin() + " -c " + d.config_path() + " 2>&1", &status);
        assert_int_equal(status, 71);
        assert_non_null(strstr(out.c_str(), ("another smalld is running on " + path).c_str()));
        assert_true(Ctl(path).request("status")["ok"] == true);  // the first one is untouched
        d.signal(SIGTERM);
        assert_int_equal(d.wait_exit(harness::kPatienceMs), 0);
        struct stat st {};
        assert_int_equal(lstat(path.c_str(), &st), -1);  // unlinked at exit
    }
    // A missing directory is created.
    {
        std::string config = kConfig;
        config.replace(config.find("@DIR@/control.sock"), 18, "@DIR@/run/sub/control.sock");
        TestDaemon d(config);
        assert_true(d.started());
        std::string sock = d.dir() + "/run/sub/control.sock";
        assert_true(Ctl(sock).request("status")["ok"] == true);
        struct stat st {};
        assert_int_equal(stat((d.dir() + "/run/sub").c_str(), &st), 0);
        assert_int_equal(st.st_mode & 0777, 0755);
    }
    {
        // Stale file from a dead daemon at the configured path.
        char templ[] = "/tmp/smalld-stale.XXXXXX";
        std::string dir = mkdtemp(templ);
        std::string sock = dir + "/control.sock";
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock.c_str());
        assert_int_equal(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        close(fd);  // the file stays, nobody listens
        std::string config = kConfig;
        config.replace(config.find("@DIR@/control.sock"), 18, sock);
        TestDaemon d(config);
        assert_true(d.started());
        assert_true(d.wait_for_log("removed stale socket"));
        assert_true(Ctl(sock).request("status")["ok"] == true);
        d.signal(SIGTERM);
        d.wait_exit(harness::kPatienceMs);
        harness::run("rm -rf " + dir);
    }
}

// An existing socket that is in use, or that the daemon cannot probe, is
// never replaced: smalld refuses to start and names the path, at once.
static void live_or_unknown_socket_is_kept(void**) {
    char templ[] = "/tmp/smalld-live.XXXXXX";
    std::string dir = mkdtemp(templ);
    assert_int_equal(chmod(dir.c_str(), 0777), 0);  // nobody could unlink in here
    std::string sock = dir + "/control.sock";
    std::string config = dir + "/smalld.ini";
    {
        FILE* f = fopen(config.c_str(), "w");
        assert_non_null(f);
        fprintf(f, "[control]\nsocket = %s\n[echo]\ntcp = 127.0.0.1:0\n", sock.c_str());
        fclose(f);
    }
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock.c_str());
    assert_int_equal(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    assert_int_equal(listen(listener, 0), 0);
    struct stat before {};
    assert_int_equal(lstat(sock.c_str(), &before), 0);
    std::string smalld = "timeout -s KILL 60 " + harness::smalld_bin() + " -c " + config;

    // A listener that accepts nobody and whose backlog is full.
    int queued[3];
    for (int& q : queued) {
        q = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        (void)!connect(q, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    }
    int status = -1;
    std::string out = harness::run(smalld + " 2>&1", &status);
    assert_int_equal(status, 71);
    assert_non_null(strstr(out.c_str(), ("another smalld is running on " + sock).c_str()));
    for (int q : queued) close(q);

    // Root's socket, mode 0600: nobody's probe fails with EACCES.
    assert_int_equal(chmod(sock.c_str(), 0600), 0);
    out = harness::run(harness::as_user("65534") + smalld + " 2>&1", &status);
    assert_int_equal(status, 71);
    assert_non_null(strstr(out.c_str(), ("control socket " + sock).c_str()));
    assert_non_null(strstr(out.c_str(), "Permission denied"));
    struct stat after {};
    assert_int_equal(lstat(sock.c_str(), &after), 0);
    assert_int_equal(after.st_ino, before.st_ino);
    close(listener);
    harness::run("rm -rf " + dir);
}

int main() {
    return run_test_group(
        {cmocka_unit_test(every_command_over_the_socket),
         cmocka_unit_test(bad_requests_keep_the_connection), cmocka_unit_test(many_clients_at_once),
         cmocka_unit_test(monitors_and_drops), cmocka_unit_test(stats_add_up),
         cmocka_unit_test(metrics_endpoint), cmocka_unit_test(smallctl_commands),
         cmocka_unit_test(permissions), cmocka_unit_test(silent_clients_leave_room_for_admin),
         cmocka_unit_test(socket_lifecycle), cmocka_unit_test(live_or_unknown_socket_is_kept)});
}
