// SPDX-License-Identifier: BSD-2-Clause
// What reloads leave behind. Renaming instances over and over must not grow
// the statistics: a removed instance's series go at the reload that removes
// it (once its last session has closed). Renaming an instance, or moving an
// address to another instance, while keeping the address hands the listening
// socket over: the reload succeeds, and not one connection attempt made while
// it runs is refused.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using harness::contains;
using harness::TestDaemon;

namespace {

// A sample line of `metric` that mentions `label` and ends with `value`.
bool has_sample(const std::string& text, const std::string& metric, const std::string& label,
                const std::string& value) {
    size_t at = 0;
    while (at < text.size()) {
        size_t end = text.find('\n', at);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(at, end - at);
        if (line.rfind(metric, 0) == 0 && contains(line, label) && line.size() >= value.size() &&
            line.compare(line.size() - value.size(), value.size(), value) == 0)
            return true;
        at = end + 1;
    }
    return false;
}

// Sample lines of the Prometheus text: the number of series.
size_t series_count(const TestDaemon& d) {
    int status = 0;
    std::string text = smallctl(d, "metrics", &status);
    assert_int_equal(status, 0);
    size_t n = 0, at = 0;
    while (at < text.size()) {
        size_t end = text.find('\n', at);
        if (end == std::string::npos) end = text.size();
        if (end > at && text[at] != '#') ++n;
        at = end + 1;
    }
    return n;
}

std::string renamed_config(int round, int instances) {
    std::string ini = "[control]\nsocket = @DIR@/control.sock\n";
    for (int i = 0; i < instances; ++i) {
        std::string name = "svc" + std::to_string(i) + "-r" + std::to_string(round);
        const char* types[] = {"echo", "discard", "daytime"};
        ini +=
            "[" + name + "]\ntype = " + types[i % 3] + "\ntcp = 127.0.0.1:0\nudp = 127.0.0.1:0\n";
    }
    return ini;
}

// A port free on 127.0.0.1 for both TCP and UDP right now.
uint16_t free_port() {
    for (int attempt = 0; attempt < 50; ++attempt) {
        int t = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a);
        getsockname(t, reinterpret_cast<sockaddr*>(&a), &len);
        int u = socket(AF_INET, SOCK_DGRAM, 0);
        bool ok = bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        close(t);
        close(u);
        if (ok) return ntohs(a.sin_port);
    }
    return 0;
}

std::string named_config(const std::string& name, uint16_t port) {
    std::string p = std::to_string(port);
    return "[control]\nsocket = @DIR@/control.sock\n[" + name +
           "]\ntype = echo\ntcp = 127.0.0.1:" + p + "\nudp = 127.0.0.1:" + p +
           "\nrate = 0/s\nper_source = 0\n";
}

}  // namespace

static void renamed_instances_leave_no_series(void**) {
    constexpr int kInstances = 6;
    constexpr int kRounds = 25;
    TestDaemon d(renamed_config(0, kInstances));
    assert_true(d.started());
    // Sessions and datagrams on the first generation, so its series are not
    // all zeros.
    int fd = harness::tcp_connect(d.port("svc0-r0", "tcp"));
    assert_true(fd >= 0);
    close(fd);
    size_t first = series_count(d);
    for (int round = 1; round <= kRounds; ++round) {
        d.write_config(renamed_config(round, kInstances));
        int status = 0;
        std::string out = smallctl(d, "reload", &status);
        if (status != 0) {
            fprintf(stderr, "reload %d of %d renamed instances: exit %d:\n%s\n", round, kInstances,
                    status, out.c_str());
            fail();
        }
    }
    size_t last = series_count(d);
    if (last != first) {
        fprintf(stderr,
                "%d rounds renaming %d instances: %zu series, %zu before: the removed "
                "instances' series stayed\n",
                kRounds, kInstances, last, first);
        fail();
    }
    int status = 0;
    std::string stats = smallctl(d, "-j stats", &status);
    assert_false(contains(stats, "-r0\""));
    assert_true(contains(stats, "\"svc0-r" + std::to_string(kRounds) + "\""));
    assert_false(contains(d.log(), "ERROR"));
}

// A removed instance with a live session keeps its series while the session
// runs (its sessions_current still counts it), and loses them at the first
// reload after the session closed.
static void series_of_a_draining_instance(void**) {
    TestDaemon d(renamed_config(0, 1));
    assert_true(d.started());
    int live = harness::tcp_connect(d.port("svc0-r0", "tcp"));
    assert_true(live >= 0);
    assert_true(harness::send_all(live, "x\n"));
    assert_str_eq(harness::recv_exactly(live, 2).c_str(), "x\n");
    int status = 0;
    d.write_config(renamed_config(1, 1));
    smallctl(d, "reload", &status);
    assert_int_equal(status, 0);
    assert_true(has_sample(smallctl(d, "metrics", &status), "smalld_sessions_current{",
                           "\"svc0-r0\"", " 1"));
    close(live);
    // The session closes once the daemon sees the EOF; then the next reload
    // drops the series.
    int reloads = 0;
    bool gone = harness::eventually(
        [&] {
            ++reloads;
            smallctl(d, "reload", &status);
            if (status != 0) return true;  // checked below
            return !contains(smallctl(d, "metrics", &status), "svc0-r0");
        },
        harness::kPatienceMs);
    assert_int_equal(status, 0);
    if (!gone) {
        fprintf(stderr, "the closed session's instance kept its series over %d reloads in %d ms\n",
                reloads, harness::kPatienceMs);
        fail();
    }
}

static void rename_keeps_the_address_and_refuses_no_connection(void**) {
    uint16_t port = free_port();
    assert_true(port != 0);
    TestDaemon d(named_config("before", port));
    assert_true(d.started());
    assert_int_equal(d.port("before", "tcp"), port);

    // Connects in a loop while the reloads run, bounded in count and time.
    std::atomic<bool> stop{false};
    std::atomic<int> attempts{0}, refused{0};
    std::thread connector([&] {
        auto guard = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (!stop && attempts < 200'000 && std::chrono::steady_clock::now() < guard) {
            ++attempts;
            int fd = harness::tcp_connect(port);
            if (fd < 0)
                ++refused;
            else
                close(fd);
        }
    });
    constexpr int kReloads = 12;
    std::string failure;
    for (int i = 1; i <= kReloads && failure.empty(); ++i) {
        std::string name = "renamed-" + std::to_string(i);
        d.write_config(named_config(name, port));
        int status = 0;
        std::string out = smallctl(d, "reload", &status);
        if (status != 0)
            failure = "reload " + std::to_string(i) + " (rename to [" + name + "]) exit " +
                      std::to_string(status) + ":\n" + out;
        else if (!contains(out, "handed over"))
            failure = "reload " + std::to_string(i) + " does not say it handed over:\n" + out;
    }
    // Let the connector see the last generation serve too.
    int seen = attempts;
    harness::eventually([&] { return attempts >= seen + 20; });
    stop = true;
    connector.join();
    if (!failure.empty()) {
        fprintf(stderr, "%s\n", failure.c_str());
        fail();
    }
    fprintf(stderr, "%d connection attempts during %d renaming reloads, %d refused\n",
            attempts.load(), kReloads, refused.load());
    assert_true(attempts > kReloads);
    assert_int_equal(refused, 0);
    int status = 0;
    std::string listeners = smallctl(d, "-j listeners", &status);
    assert_true(contains(listeners, "\"renamed-12\""));
    assert_false(contains(listeners, "\"before\""));
    assert_true(contains(listeners, "\"port\":" + std::to_string(port)));
    assert_str_eq(harness::udp_exchange(port, "udp still here"), "udp still here");
}

// An address moving from one instance to another that both stay.
static void address_moves_between_instances(void**) {
    uint16_t port = free_port();
    assert_true(port != 0);
    std::string p = std::to_string(port);
    const std::string head = "[control]\nsocket = @DIR@/control.sock\n";
    TestDaemon d(head + "[a]\ntype = echo\ntcp = 127.0.0.1:" + p +
                 "\n[b]\ntype = daytime\ntcp = 127.0.0.1:0\n");
    assert_true(d.started());
    d.write_config(
        head + "[a]\ntype = echo\ntcp = 127.0.0.1:0\n[b]\ntype = daytime\ntcp = 127.0.0.1:" + p +
        "\n");
    int status = 0;
    std::string out = smallctl(d, "reload", &status);
    if (status != 0) {
        fprintf(stderr, "moving 127.0.0.1:%u from [a] to [b]: exit %d:\n%s\n", unsigned(port),
                status, out.c_str());
        fail();
    }
    // The port now answers as daytime.
    int fd = harness::tcp_connect(port);
    assert_true(fd >= 0);
    std::string line = harness::recv_until_eof(fd, 200);
    close(fd);
    assert_true(line.size() > 10 && line.back() == '\n');
}

int main() {
    return run_test_group({cmocka_unit_test(renamed_instances_leave_no_series),
                           cmocka_unit_test(series_of_a_draining_instance),
                           cmocka_unit_test(rename_keeps_the_address_and_refuses_no_connection),
                           cmocka_unit_test(address_moves_between_instances)});
}
