// SPDX-License-Identifier: BSD-2-Clause
// UDP safety: the loop guard, the amplification cap of every UDP service
// (measured in bytes on the wire), and the extreme datagram sizes.
#include <unistd.h>

#include <algorithm>

#include "harness.h"

#include "../cmocka.hpp"

using namespace harness;
using namespace protect;

namespace {

// IPv4 + UDP headers: what a datagram costs on the wire besides its payload.
constexpr double kHeaders = 28;

const std::string kServices = config_head() +
                              "[echo]\nudp = 127.0.0.1:0\nrate = 0/s\n"
                              "[chargen]\nudp = 127.0.0.1:0\nrate = 0/s\n"
                              "[qotd]\nudp = 127.0.0.1:0\nrate = 0/s\n"
                              "[daytime]\nudp = 127.0.0.1:0\nrate = 0/s\n"
                              "[time]\nudp = 127.0.0.1:0\nrate = 0/s\n"
                              "[udpstatus]\ntype = status\nudp = 127.0.0.1:0\nrate = 0/s\n"
                              "[halfecho]\ntype = echo\nudp = 127.0.0.1:0\nrate = 0/s\n"
                              "udp_amplification = 0.5\n";

void loop_guard_drops_privileged_and_nfs_source_ports(void**) {
    TestDaemon d(kServices);
    assert_true(d.started());
    uint16_t port = d.port("echo", "udp");
    for (uint16_t source : {uint16_t(19), uint16_t(1023), uint16_t(2049)}) {
        auto reply = udp_ask_from("127.0.0.1", source, "127.0.0.1", port, "loop?", kQuietMs);
        assert_false(reply.has_value());
        assert_true(d.wait_for_log("echo: refused udp from 127.0.0.1:" + std::to_string(source) +
                                   ": loop"));
    }
    for (uint16_t source : {uint16_t(1024), uint16_t(2048), uint16_t(2050)}) {
        auto reply = udp_ask_from("127.0.0.1", source, "127.0.0.1", port, "fine");
        assert_true(reply && *reply == "fine");
    }
    // chargen answering chargen is the classic loop: the guard covers it too.
    assert_false(udp_ask_from("127.0.0.1", 19, "127.0.0.1", d.port("chargen", "udp"), "x", kQuietMs)
                     .has_value());
    assert_true(eventually([&] { return refused(d, "chargen") >= 1; }));
    assert_int_equal(refused(d, "echo"), 3);
    assert_int_equal(refused(d, "chargen"), 1);
    assert_int_equal(dropped(d, "echo", "loop"), 3);
    assert_int_equal(dropped(d, "chargen", "loop"), 1);
}

void loop_guard_can_be_turned_off_per_instance(void**) {
    TestDaemon d(config_head() +
                 "[guarded]\ntype = echo\nudp = 127.0.0.1:0\n"
                 "[open]\ntype = echo\nudp = 127.0.0.1:0\nudp_loop_guard = no\n");
    assert_true(d.started());
    auto to_open = udp_ask_from("127.0.0.1", 1023, "127.0.0.1", d.port("open", "udp"), "hi");
    assert_true(to_open && *to_open == "hi");
    auto to_guarded =
        udp_ask_from("127.0.0.1", 1022, "127.0.0.1", d.port("guarded", "udp"), "hi", kQuietMs);
    assert_false(to_guarded.has_value());
}

// The largest reply over `tries` requests of `size` bytes; -1 when none came.
// Every service here answers every request (within the cap), so each request
// waits for its own reply: a late one is never taken for the next one's.
// Each try comes from a port of its own: the same datagram sent again and
// again from one port, each time just after its answer, is what a loop looks
// like to the loop guard's bounce table.
long largest_reply(uint16_t port, size_t size, int tries, int* answered = nullptr) {
    long largest = -1;
    int got = 0;
    for (int i = 0; i < tries; ++i) {
        auto reply = udp_ask_from("127.0.0.1", 0, "127.0.0.1", port, std::string(size, 'a'));
        if (!reply) continue;
        ++got;
        largest = std::max(largest, long(reply->size()));
    }
    if (answered) *answered = got;
    return largest;
}

void amplification_cap_holds_for_every_service(void**) {
    TestDaemon d(kServices);
    assert_true(d.started());
    int fd = udp_socket("127.0.0.1");
    assert_true(fd >= 0);
    for (const char* service : {"echo", "chargen", "qotd", "daytime", "time", "udpstatus"}) {
        uint16_t port = d.port(service, "udp");
        for (size_t size : {size_t(0), size_t(1), size_t(100)}) {
            // chargen and qotd choose at random: ask often enough to see the worst.
            long largest = largest_reply(port, size, 40);
            long cap = long(std::max(double(size) * 1.0, 32.0));
            double factor = (double(std::max(largest, 0L)) + kHeaders) / (double(size) + kHeaders);
            print_message(
                "%-9s request %3zu B -> largest reply %3ld B (cap %ld); on the wire "
                "%.2fx\n",
                service, size, largest, cap, largest < 0 ? 0.0 : factor);
            assert_true(largest <= cap);
            if (std::string(service) != "echo" || size > 0) assert_true(largest >= 0);
        }
    }
    // Status over UDP is a report cut to the cap, never the whole report.
    auto report = udp_ask(fd, "127.0.0.1", d.port("udpstatus", "udp"), std::string(40, 's'));
    assert_true(report && report->size() == 40);
    close(fd);
}

void echo_with_factor_below_one_drops_what_it_cannot_return(void**) {
    TestDaemon d(kServices);
    assert_true(d.started());
    int fd = udp_socket("127.0.0.1");
    uint16_t port = d.port("halfecho", "udp");
    // Up to 32 bytes always fit; above, the reply may be half the request: echo
    // cannot answer with half, so it does not answer at all.
    auto small = udp_ask(fd, "127.0.0.1", port, std::string(32, 'e'));
    assert_true(small && small->size() == 32);
    assert_false(udp_ask(fd, "127.0.0.1", port, std::string(33, 'e'), kQuietMs).has_value());
    assert_false(udp_ask(fd, "127.0.0.1", port, std::string(1000, 'e'), kQuietMs).has_value());
    assert_true(d.wait_for_log("halfecho: refused udp from 127.0.0.1:"));
    assert_true(d.wait_for_log(": amplification"));
    assert_true(eventually([&] { return refused(d, "halfecho") >= 2; }));
    assert_int_equal(refused(d, "halfecho"), 2);
    assert_int_equal(dropped(d, "halfecho", "amplification"), 2);
    close(fd);
}

void zero_length_and_largest_datagrams(void**) {
    TestDaemon d(kServices);
    assert_true(d.started());
    int fd = udp_socket("127.0.0.1");
    int size = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    uint16_t echo = d.port("echo", "udp");
    auto empty = udp_ask(fd, "127.0.0.1", echo, "");
    assert_true(empty.has_value());
    assert_int_equal(empty->size(), 0);
    std::string big(65507, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = char(i * 7 + 3);
    auto back = udp_ask(fd, "127.0.0.1", echo, big);
    assert_true(back.has_value());
    assert_true(*back == big);
    // Every other service takes both sizes in its stride: it counts both in,
    // answers or drops them, and the daemon lives on. (Their replies go to a
    // socket of their own, never taken for echo's below.)
    int other = udp_socket("127.0.0.1");
    assert_true(other >= 0);
    setsockopt(other, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    for (const char* service : {"chargen", "qotd", "daytime", "time", "udpstatus", "halfecho"}) {
        uint16_t port = d.port(service, "udp");
        socklen_t len;
        sockaddr_storage dst = make_addr("127.0.0.1", port, &len);
        assert_int_equal(sendto(other, "", 0, 0, reinterpret_cast<sockaddr*>(&dst), len), 0);
        assert_int_equal(
            sendto(other, big.data(), big.size(), 0, reinterpret_cast<sockaddr*>(&dst), len),
            ssize_t(big.size()));
        assert_true(eventually([&] { return status_column(d, service, 2) == 2; }));
    }
    close(other);
    auto still = udp_ask(fd, "127.0.0.1", echo, "alive");
    assert_true(still && *still == "alive");
    close(fd);
}

void largest_ipv6_datagrams_are_echoed(void**) {
    // IPv6 carries 20 bytes more than IPv4: up to 65527 bytes of payload.
    TestDaemon d(config_head() + "[echo]\nudp = [::1]:0\nrate = 0/s\n");
    assert_true(d.started());
    uint16_t echo = d.port("echo", "udp", AF_INET6);
    int fd = udp_socket("::1");
    assert_true(fd >= 0);
    int size = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    for (size_t len : {size_t(65507), size_t(65508), size_t(65527)}) {
        std::string big(len, '\0');
        for (size_t i = 0; i < big.size(); ++i) big[i] = char(i * 13 + len);
        auto back = udp_ask(fd, "::1", echo, big);
        assert_true(back.has_value());
        assert_true(*back == big);
    }
    close(fd);
    assert_int_equal(dropped(d, "echo", "amplification"), 0);
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(loop_guard_drops_privileged_and_nfs_source_ports),
                           cmocka_unit_test(loop_guard_can_be_turned_off_per_instance),
                           cmocka_unit_test(amplification_cap_holds_for_every_service),
                           cmocka_unit_test(echo_with_factor_below_one_drops_what_it_cannot_return),
                           cmocka_unit_test(zero_length_and_largest_datagrams),
                           cmocka_unit_test(largest_ipv6_datagrams_are_echoed)});
}
