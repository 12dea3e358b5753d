// Admission limits: per_source, the per-source rate (TCP and UDP), an
// instance's max_connections and the daemon-wide max_connections.
#include <unistd.h>

#include <vector>

#include "harness.h"
#include "protect.h"

#include "../cmocka.hpp"

using namespace harness;
using namespace protect;

namespace {

void close_all(std::vector<int>& fds) {
    for (int fd : fds)
        if (fd >= 0) close(fd);
    fds.clear();
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
    int fourth = tcp_connect_from("127.0.0.1", "127.0.0.1", port);
    assert_true(fourth >= 0);
    assert_true(closed_at_once(fourth));
    close(fourth);
    assert_true(d.wait_for_log("echo: refused tcp from 127.0.0.1:"));
    assert_true(d.wait_for_log(": per_source"));
    // Another source has its own allowance.
    int other = tcp_connect_from("127.0.0.9", "127.0.0.1", port);
    assert_true(other >= 0);
    assert_true(echoes(other));
    close(other);
    // A slot freed is a slot usable again.
    close(held.back());
    held.pop_back();
    assert_true(wait_tcp_open(d, "echo", 2));
    int again = tcp_connect_from("127.0.0.1", "127.0.0.1", port);
    assert_true(again >= 0);
    assert_true(echoes(again));
    close(again);
    close_all(held);
    assert_int_equal(refused(d, "echo"), 1);
    assert_int_equal(rejected(d, "echo", "per_source"), 1);
    assert_int_equal(rejected(d, "echo", "limit"), 0);
}

void tcp_rate_limits_new_sessions(void**) {
    TestDaemon d(config_head() + "[echo]\ntcp = 127.0.0.1:0\nper_source = 0\nrate = 5/s\n");
    assert_true(d.started());
    uint16_t port = d.port("echo", "tcp");
    int served = 0, refused_now = 0;
    auto start = Clock::now();
    for (int i = 0; i < 30; ++i) {
        int fd = tcp_connect_from("127.0.0.1", "127.0.0.1", port);
        assert_true(fd >= 0);
        if (echoes(fd, 1000))
            ++served;
        else
            ++refused_now;
        close(fd);
    }
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
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
    int answered = 0;
    auto start = Clock::now();
    for (int i = 0; i < 30; ++i)
        if (udp_ask(fd, "127.0.0.1", port, "x", 100)) ++answered;
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
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
    int other = tcp_connect(d.port("echo2", "tcp"));
    assert_true(echoes(other));
    close(other);
    close_all(held);
    assert_int_equal(refused(d, "echo"), 1);
    assert_int_equal(rejected(d, "echo", "limit"), 1);
    assert_int_equal(rejected(d, "echo2", "limit"), 0);
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
    int again = tcp_connect(d.port("echo", "tcp"));
    assert_true(echoes(again));
    close(again);
    assert_int_equal(refused(d, "echo") + refused(d, "echo2"), 2);
    assert_int_equal(rejected(d, "echo", "limit"), 1);
    assert_int_equal(rejected(d, "echo2", "limit"), 1);
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(per_source_limits_concurrent_sessions),
        cmocka_unit_test(tcp_rate_limits_new_sessions),
        cmocka_unit_test(udp_rate_limits_datagrams),
        cmocka_unit_test(instance_max_connections),
        cmocka_unit_test(daemon_max_connections),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
