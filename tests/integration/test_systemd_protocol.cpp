// SPDX-License-Identifier: BSD-2-Clause
// The daemon's side of the systemd protocols, without systemd: a datagram
// socket stands in for NOTIFY_SOCKET (READY, STATUS, RELOADING with
// MONOTONIC_USEC, STOPPING), and sockets made here are passed the way systemd
// passes them (LISTEN_FDS, LISTEN_FDNAMES, LISTEN_PID), including the ones
// the daemon must refuse.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using harness::contains;
using harness::TestDaemon;

static const std::string kBase = harness::control_head("", "shutdown_timeout = 2s\n") + R"(
[echo]
tcp = 127.0.0.1:0
)";

using harness::NotifySink;

static void notify_reports_ready_reload_and_stopping(void**) {
    NotifySink sink;
    TestDaemon d(kBase, {}, {sink.env()});
    assert_true(d.started());
    std::string ready = sink.next("READY=1");
    assert_true(contains(ready, "STATUS=serving 1 instances"));

    // A valid reload: RELOADING=1 stamped with CLOCK_MONOTONIC (between the
    // signal and the message), then READY=1.
    auto monotonic_usec = [] {
        timespec now{};
        clock_gettime(CLOCK_MONOTONIC, &now);
        return now.tv_sec * 1'000'000LL + now.tv_nsec / 1000;
    };
    long long signalled = monotonic_usec();
    d.signal(SIGHUP);
    std::string reloading = sink.next("RELOADING=1");
    long long received = monotonic_usec();
    size_t at = reloading.find("MONOTONIC_USEC=");
    assert_true(at != std::string::npos);
    long long stamp = atoll(reloading.c_str() + at + strlen("MONOTONIC_USEC="));
    assert_true(stamp >= signalled && stamp <= received);
    assert_true(contains(sink.next("READY=1"), "STATUS=serving"));

    // A failed reload: READY=1 again, and STATUS= says why.
    d.write_config("[echo]\nrate = fast\n");
    d.signal(SIGHUP);
    assert_false(sink.next("RELOADING=1").empty());
    std::string after_failure = sink.next("READY=1");
    assert_true(contains(after_failure, "STATUS=reload failed: " + d.config_path() + ":2: rate"));

    d.signal(SIGTERM);
    assert_false(sink.next("STOPPING=1").empty());
    assert_int_equal(d.wait_exit(harness::kPatienceMs), 0);
}

// Sockets to pass: each is moved to a descriptor >= 100, so the wrapper can
// put them at 3, 4, ... whatever the child opened below.
struct Passed {
    std::vector<int> fds;
    std::vector<std::string> names;
    void add(int fd, const std::string& name) {
        fds.push_back(fcntl(fd, F_DUPFD, 100));
        close(fd);
        names.push_back(name);
    }
    ~Passed() {
        for (int fd : fds) close(fd);
    }
    // LISTEN_FDS and LISTEN_FDNAMES for the daemon.
    std::vector<std::string> env() const {
        std::string joined;
        for (const auto& n : names) joined += (joined.empty() ? "" : ":") + n;
        return {"LISTEN_FDS=" + std::to_string(fds.size()), "LISTEN_FDNAMES=" + joined};
    }
    // Execs the daemon in place with the sockets at 3.. and LISTEN_PID its PID.
    std::vector<std::string> wrapper() const {
        std::string moves;
        for (size_t i = 0; i < fds.size(); ++i)
            moves += std::to_string(3 + i) + "<&" + std::to_string(fds[i]) + " " +
                     std::to_string(fds[i]) + "<&- ";
        return {"bash", "-c", "exec " + moves + "; export LISTEN_PID=$$; exec \"$@\"",
                "smalld-activation"};
    }
};

static int make_socket(int family, int type, bool listening, int v6only = 1) {
    int fd = socket(family, type, 0);
    sockaddr_storage ss{};
    socklen_t len;
    if (family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_any;
        len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    }
    bind(fd, reinterpret_cast<sockaddr*>(&ss), len);
    if (listening) listen(fd, 16);
    return fd;
}

static uint16_t local_port(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
    return ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

// Starts the daemon with `passed`; for a refusal, expects exit 78 and every
// part of `message` in the log.
static void expect_refused(const Passed& passed, const std::vector<std::string>& message) {
    TestDaemon d(kBase, {}, passed.env(), passed.wrapper());
    assert_false(d.started());
    assert_int_equal(d.wait_exit(harness::kPatienceMs), 78);
    for (const auto& part : message) {
        if (!contains(d.log(), part))
            fprintf(stderr, "log lacks \"%s\":\n%s", part.c_str(), d.log().c_str());
        assert_true(contains(d.log(), part));
    }
}

static void activation_refuses_an_unknown_name(void**) {
    Passed passed;
    passed.add(make_socket(AF_INET, SOCK_STREAM, true), "nosuch");
    expect_refused(passed, {"systemd passed fd 3 named \"nosuch\"", "no instance [nosuch]"});
}

static void activation_refuses_a_socket_of_the_wrong_kind(void**) {
    Passed passed;
    int unix_fd = socket(AF_UNIX, SOCK_STREAM, 0);
    passed.add(unix_fd, "echo");
    expect_refused(passed,
                   {"systemd passed fd 3 for [echo]", "not an IPv4/IPv6 stream or datagram"});
}

static void activation_refuses_a_stream_socket_that_does_not_listen(void**) {
    // accept4() on it fails with EINVAL: the loop would spin on it.
    Passed passed;
    passed.add(make_socket(AF_INET, SOCK_DGRAM, false), "echo");
    passed.add(make_socket(AF_INET, SOCK_STREAM, false), "echo");
    expect_refused(passed, {"systemd passed fd 4 for [echo]", "not listening"});
}

static void activation_refuses_a_dual_stack_datagram_socket(void**) {
    // Every IPv4 client would arrive IPv4-mapped and be dropped as a loop.
    Passed passed;
    passed.add(make_socket(AF_INET6, SOCK_DGRAM, false, 0), "echo");
    expect_refused(passed, {"systemd passed fd 3 for [echo]", "BindIPv6Only=ipv6-only"});
}

static void activation_sockets_replace_the_configured_addresses(void**) {
    // A port that was free a moment ago: the configuration names it, and the
    // daemon must not bind it, since systemd passed sockets for [echo].
    int probe = make_socket(AF_INET, SOCK_STREAM, false);
    uint16_t configured = local_port(probe);
    close(probe);
    std::string ini = "[control]\nsocket =\n[echo]\ntcp = 127.0.0.1:" + std::to_string(configured) +
                      "\nudp = 127.0.0.1:" + std::to_string(configured) + "\n";
    int tcp = make_socket(AF_INET, SOCK_STREAM, true);
    int udp6 = make_socket(AF_INET6, SOCK_DGRAM, false, 1);  // [::]:N, IPv6 only: accepted
    uint16_t tcp_port = local_port(tcp), udp_port = local_port(udp6);
    Passed passed;
    passed.add(tcp, "echo");
    passed.add(udp6, "echo");
    TestDaemon d(ini, {}, passed.env(), passed.wrapper());
    assert_true(d.started());

    int c = harness::tcp_connect(tcp_port);
    assert_true(c >= 0);
    assert_true(harness::send_all(c, "passed"));
    assert_str_eq(harness::recv_exactly(c, 6), "passed");
    close(c);
    assert_str_eq(harness::udp_exchange(udp_port, "ping", AF_INET6), "ping");

    int direct = harness::tcp_connect(configured, AF_INET, harness::kQuietMs);
    if (direct >= 0) close(direct);
    assert_true(direct < 0);
    assert_str_eq(harness::udp_exchange(configured, "ping", AF_INET, harness::kQuietMs), "");
    assert_true(contains(
        d.log(), "echo: listening on tcp 127.0.0.1:" + std::to_string(tcp_port) + " (systemd)"));
    assert_false(contains(d.log(), "(config)"));
}

int main() {
    return run_test_group(
        {cmocka_unit_test(notify_reports_ready_reload_and_stopping),
         cmocka_unit_test(activation_refuses_an_unknown_name),
         cmocka_unit_test(activation_refuses_a_socket_of_the_wrong_kind),
         cmocka_unit_test(activation_refuses_a_stream_socket_that_does_not_listen),
         cmocka_unit_test(activation_refuses_a_dual_stack_datagram_socket),
         cmocka_unit_test(activation_sockets_replace_the_configured_addresses)});
}
