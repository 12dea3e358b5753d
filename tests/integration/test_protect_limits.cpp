// SPDX-License-Identifier: BSD-2-Clause
// Admission limits: per_source, the per-source rate (TCP and UDP), an
// instance's max_connections and the daemon-wide max_connections.
#include <unistd.h>

#include <vector>

#include "harness.h"

#include "../cmocka.hpp"

using namespace harness;
using namespace protect;

namespace {

// What became of a connection: served (its ping echoed) or refused (closed
// without a byte). Waits as long as that takes: a refused connection is
// closed at once, a served one answers, and neither depends on the clock.
enum class Outcome { Served, Refused, Unknown };
Outcome outcome_of(int fd) {
    if (!send_all(fd, "ping\n")) return Outcome::Refused;  // reset already
    std::string back = recv_exactly(fd, 5);
    if (back == "ping\n") return Outcome::Served;
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
    if (back.empty() && (n == 0 || (n < 0 && errno == ECONNRESET))) return Outcome::Refused;
    return Outcome::Unknown;
}

void close_all(std::vector<int>& fds) {
    for (int fd : fds)
        if (fd >= 0) close(fd);
    fds.clear();
}

// Closes the newest of the sessions `held` on `instance` and waits until the
// daemon counts only the others open.
bool release_newest(const TestDaemon& d, const char* instance, std::vector<int>& held) {
    close(held.back());
    held.pop_back();
    return wait_tcp_open(d, instance, long(held.size()));
}

void per_source_limits_concurrent_sessions(void**) {
    TestDaemon d(config_head() + "[echo]\ntcp = 127.0.0.1:0\nper_source = 3\nrate = 0/s\n");
    assert_true(d.started());
    uint16_t port = d.port("echo", "tcp");
    std::vector<int> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(tcp_connect_from("127.0.0.1", "127.0.0.1", port));
        assert_true(held.back() >= 0);
        assert_true(echoes(held.back()));
    }
    assert_true(refused_from("127.0.0.1", "127.0.0.1", port));
    assert_true(d.wait_for_log("echo: refused tcp from 127.0.0.1:"));
    assert_true(d.wait_for_log(": per_source"));
    // Another source has its own allowance.
    assert_true(served_from("127.0.0.9", "127.0.0.1", port));
    // A slot freed is a slot usable again.
    assert_true(release_newest(d, "echo", held));
    assert_true(served_from("127.0.0.1", "127.0.0.1", port));
    close_all(held);
    assert_int_equal(refused(d, "echo"), 1);
    assert_int_equal(rejected(d, "echo", "per_source"), 1);
    assert_int_equal(rejected(d, "echo", "limit"), 0);
}

void tcp_rate_limits_new_sessions(void**) {
    TestDaemon d(config_head() + "[echo]\ntcp = 127.0.0.1:0\nper_source = 0\nrate = 5/s\n");
    assert_true(d.started());
    uint16_t port = d.port("echo", "tcp");
    // 30 connections at once, then what became of each: the bucket holds 5
    // and refills at 5/s, so the burst is partly refused however slowly the
    // daemon gets to it (as long as that is under 5 s).
    int served = 0, refused_now = 0;
    auto start = Clock::now();
    std::vector<int> fds;
    for (int i = 0; i < 30; ++i) {
        fds.push_back(tcp_connect_from("127.0.0.1", "127.0.0.1", port));
        assert_true(fds.back() >= 0);
    }
    for (int fd : fds) {
        Outcome o = outcome_of(fd);
        assert_true(o != Outcome::Unknown);
        served += o == Outcome::Served;
        refused_now += o == Outcome::Refused;
    }
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    close_all(fds);
    print_message("tcp rate 5/s: %d served, %d refused in %.2fs\n", served, refused_now, seconds);
    // The burst (5) plus what refilled meanwhile.
    assert_true(served >= 5);
    assert_true(served <= 5 + int(seconds * 5) + 1);
    assert_true(refused_now > 0);
    assert_true(d.wait_for_log(": rate"));
    assert_int_equal(refused(d, "echo"), refused_now);
    assert_int_equal(rejected(d, "echo", "rate"), refused_now);
}

void udp_rate_limits_datagrams(void**) {
    TestDaemon d(config_head() + "[echo]\nudp = 127.0.0.1:0\nrate = 5/s\n");
    assert_true(d.started());
    uint16_t port = d.port("echo", "udp");
    int fd = udp_socket("127.0.0.1");
    assert_true(fd >= 0);
    // 30 datagrams at once; once the daemon has counted all 30 in, every
    // reply it sent is already queued on our socket (loopback delivers at
    // sendmmsg), so the answers are counted by work, not by a timeout.
    auto start = Clock::now();
    socklen_t len;
    sockaddr_storage dst = make_addr("127.0.0.1", port, &len);
    for (int i = 0; i < 30; ++i)
        assert_int_equal(sendto(fd, "x", 1, 0, reinterpret_cast<sockaddr*>(&dst), len), 1);
    assert_true(eventually([&] { return status_column(d, "echo", 2) == 30; }));
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    int answered = 0;
    char reply[16];
    while (recv(fd, reply, sizeof reply, MSG_DONTWAIT) == 1) ++answered;
    close(fd);
    print_message("udp rate 5/s: %d of 30 answered in %.2fs\n", answered, seconds);
    assert_true(answered >= 5);
    assert_true(answered <= 5 + int(seconds * 5) + 1);
    assert_true(d.wait_for_log("echo: refused udp from 127.0.0.1:"));
    assert_int_equal(refused(d, "echo"), 30 - answered);
    assert_int_equal(dropped(d, "echo", "rate"), 30 - answered);
    // Another source has its own bucket.
    auto other = udp_ask_from("127.0.0.7", 0, "127.0.0.1", port, "y");
    assert_true(other && *other == "y");
}

void instance_max_connections(void**) {
    TestDaemon d(config_head() +
                 "[echo]\ntcp = 127.0.0.1:0\nper_source = 0\nrate = 0/s\nmax_connections = 3\n"
                 "[echo2]\ntype = echo\ntcp = 127.0.0.1:0\nper_source = 0\nrate = 0/s\n");
    assert_true(d.started());
    std::vector<int> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(tcp_connect(d.port("echo", "tcp")));
        assert_true(echoes(held.back()));
    }
    int extra = tcp_connect(d.port("echo", "tcp"));
    assert_true(extra >= 0);
    assert_true(closed_at_once(extra));
    close(extra);
    assert_true(d.wait_for_log(": limit"));
    // The limit is the instance's: the other instance still serves.
    assert_true(served(d.port("echo2", "tcp")));
    close_all(held);
    assert_int_equal(refused(d, "echo"), 1);
    assert_int_equal(rejected(d, "echo", "limit"), 1);
    assert_int_equal(rejected(d, "echo2", "limit"), 0);
}

// `smallctl stats reset` zeroes counters, never what admission knows: the
// sessions held still count against max_connections and per_source.
void stats_reset_keeps_admission(void**) {
    TestDaemon d(config_head() +
                 "[echo]\ntcp = 127.0.0.1:0\nper_source = 2\nrate = 0/s\nmax_connections = 3\n");
    assert_true(d.started());
    uint16_t port = d.port("echo", "tcp");
    std::vector<int> held;
    for (const char* from : {"127.0.0.1", "127.0.0.1", "127.0.0.2"}) {
        held.push_back(tcp_connect_from(from, "127.0.0.1", port));
        assert_true(echoes(held.back()));
    }
    assert_str_eq(smallctl(d, "stats reset"), "counters reset\n");
    assert_int_equal(tcp_open(d, "echo"), 3);
    // max_connections: a fourth session from a new source is refused.
    assert_true(refused_from("127.0.0.3", "127.0.0.1", port));
    // per_source: 127.0.0.1 holds two, with one slot freed on the instance.
    assert_true(release_newest(d, "echo", held));
    assert_true(refused_from("127.0.0.1", "127.0.0.1", port));
    close_all(held);
    assert_int_equal(rejected(d, "echo", "limit"), 1);
    assert_int_equal(rejected(d, "echo", "per_source"), 1);
}

// After `stats reset` the gauges still count the sessions open, in every
// rendering: `smallctl stats`, `status` and `metrics`, the /metrics endpoint,
// the live page's /stats.json and the status report.
void stats_reset_keeps_the_open_session_gauges(void**) {
    TestDaemon d(config_head() + "[metrics]\nlisten = 127.0.0.1:0\n\n" +
                 "[echo]\ntcp = 127.0.0.1:0\nper_source = 0\nrate = 0/s\n"
                 "[echo2]\ntype = echo\ntcp = 127.0.0.1:0\nper_source = 0\nrate = 0/s\n");
    assert_true(d.started());
    std::vector<int> held;
    for (const char* instance : {"echo", "echo", "echo", "echo2"}) {
        held.push_back(tcp_connect(d.port(instance, "tcp")));
        assert_true(echoes(held.back()));
    }
    close(held.front());  // echo keeps two, echo2 one
    held.erase(held.begin());
    auto open_now = [&] {
        nlohmann::json s = stats_json(d);
        return s.is_object() && s.value("/conn/current"_json_pointer, -1L) == 3 &&
               s["instances"]["echo"]["tcp"].value("sessions_current", -1L) == 2;
    };
    auto deadline = Clock::now() + std::chrono::milliseconds(kPatienceMs);
    while (!open_now()) {
        if (Clock::now() > deadline) {
            report_expired(kPatienceMs, "the gauges to count the three sessions held");
            fail();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }

    assert_str_eq(smallctl(d, "stats reset"), "counters reset\n");
    nlohmann::json stats = stats_json(d);
    assert_int_equal(stats["conn"]["accepted_total"].get<long>(), 0);  // the counters did reset
    assert_int_equal(stats["instances"]["echo"]["tcp"]["sessions_total"].get<long>(), 0);
    assert_int_equal(stats["conn"]["current"].get<long>(), 3);
    assert_int_equal(stats["instances"]["echo"]["tcp"]["sessions_current"].get<long>(), 2);
    assert_int_equal(stats["instances"]["echo2"]["tcp"]["sessions_current"].get<long>(), 1);
    nlohmann::json status = smallctl_json(d, "status");
    assert_int_equal(status["data"]["conn_current"].get<long>(), 3);

    const char* gauges[] = {
        "\nsmalld_conn_current 3\n",
        "\nsmalld_sessions_current{service=\"echo\",type=\"echo\",proto=\"tcp\"} 2\n",
        "\nsmalld_sessions_current{service=\"echo2\",type=\"echo\",proto=\"tcp\"} 1\n",
        "\nsmalld_sessions_total{service=\"echo\",type=\"echo\",proto=\"tcp\"} 0\n"};
    std::string from_ctl = smallctl(d, "metrics");
    std::string from_http = http_get(metrics_port(d), "/metrics");
    for (const char* gauge : gauges) {
        assert_non_null(strstr(from_ctl.c_str(), gauge));
        assert_non_null(strstr(from_http.c_str(), gauge));
    }
    nlohmann::json live =
        nlohmann::json::parse(http_get(metrics_port(d), "/stats.json"), nullptr, false);
    assert_int_equal(live["sessions_open"].get<long>(), 3);
    assert_int_equal(live["stats"]["conn"]["current"].get<long>(), 3);
    for (const auto& row : live["rows"])
        if (row["proto"] == "tcp" && row["instance"] != "status")
            assert_int_equal(row["open"].get<long>(), row["instance"] == "echo" ? 2 : 1);

    // The report counts its own session too.
    assert_non_null(strstr(status_text(d).c_str(), "TCP sessions: 4 open"));
    assert_int_equal(tcp_open(d, "echo"), 2);
    assert_int_equal(tcp_open(d, "echo2"), 1);
    close_all(held);
}

void daemon_max_connections(void**) {
    TestDaemon d(config_head("max_connections = 4\n") +
                 "[echo]\ntcp = 127.0.0.1:0\nper_source = 0\nrate = 0/s\n"
                 "[echo2]\ntype = echo\ntcp = 127.0.0.1:0\nper_source = 0\nrate = 0/s\n");
    assert_true(d.started());
    std::vector<int> held;
    for (int i = 0; i < 4; ++i) {
        held.push_back(tcp_connect(d.port(i % 2 ? "echo2" : "echo", "tcp")));
        assert_true(echoes(held.back()));
    }
    for (const char* instance : {"echo", "echo2"}) {
        int extra = tcp_connect(d.port(instance, "tcp"));
        assert_true(extra >= 0);
        assert_true(closed_at_once(extra));
        close(extra);
    }
    close_all(held);
    assert_true(wait_tcp_open(d, "echo", 0));
    assert_true(served(d.port("echo", "tcp")));
    assert_int_equal(refused(d, "echo") + refused(d, "echo2"), 2);
    assert_int_equal(rejected(d, "echo", "limit"), 1);
    assert_int_equal(rejected(d, "echo2", "limit"), 1);
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(per_source_limits_concurrent_sessions),
                           cmocka_unit_test(tcp_rate_limits_new_sessions),
                           cmocka_unit_test(udp_rate_limits_datagrams),
                           cmocka_unit_test(instance_max_connections),
                           cmocka_unit_test(stats_reset_keeps_admission),
                           cmocka_unit_test(stats_reset_keeps_the_open_session_gauges),
                           cmocka_unit_test(daemon_max_connections)});
}
