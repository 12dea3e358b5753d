// SPDX-License-Identifier: BSD-2-Clause
// UDP where it takes a network of its own: datagrams sent to a broadcast or
// a multicast address get no reply (the loop guard's destination check), and
// replies the kernel refuses to send are counted. Runs in a network namespace
// of its own (root needed, else it is skipped with status 77), so the daemon
// can bind 0.0.0.0, where such datagrams arrive, and routes can be changed.
#include <unistd.h>

#include "harness.h"

#include "../cmocka.hpp"

using namespace harness;
using namespace protect;

namespace {

// Sends `payload` to `to`:`port` from a socket able to broadcast and to send
// multicast on lo (a member of 239.1.2.3 there, so lo delivers the group);
// the reply, or nullopt.
std::optional<std::string> ask_group(const char* to, uint16_t port, const std::string& payload,
                                     int timeout_ms = kPatienceMs) {
    int fd = udp_socket("127.0.0.1");
    if (fd < 0) return std::nullopt;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one);
    in_addr lo{};
    inet_pton(AF_INET, "127.0.0.1", &lo);
    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof lo);
    ip_mreq join{};
    inet_pton(AF_INET, "239.1.2.3", &join.imr_multiaddr);
    join.imr_interface = lo;
    setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &join, sizeof join);
    auto reply = udp_ask(fd, to, port, payload, timeout_ms);
    close(fd);
    return reply;
}

void broadcast_and_multicast_destinations_get_no_reply(void**) {
    TestDaemon d(config_head() +
                 "[echo]\nudp = 0.0.0.0:0\nrate = 0/s\n"
                 "[open]\ntype = echo\nudp = 0.0.0.0:0\nrate = 0/s\nudp_loop_guard = no\n");
    assert_true(d.started());
    uint16_t guarded = d.port("echo", "udp"), open = d.port("open", "udp");
    // Both reach the daemon: the unguarded instance answers them.
    auto reply = ask_group("127.255.255.255", open, "bcast");
    assert_true(reply && *reply == "bcast");
    reply = ask_group("239.1.2.3", open, "mcast");
    assert_true(reply && *reply == "mcast");
    // The guarded one answers unicast only.
    reply = ask_group("127.0.0.1", guarded, "unicast");
    assert_true(reply && *reply == "unicast");
    assert_false(ask_group("127.255.255.255", guarded, "bcast", kQuietMs).has_value());
    assert_false(ask_group("239.1.2.3", guarded, "mcast", kQuietMs).has_value());
    assert_true(d.wait_for_log("echo: refused udp from 127.0.0.1:"));
    assert_true(eventually([&] { return refused(d, "echo") >= 2; }));
    assert_int_equal(refused(d, "echo"), 2);
    assert_int_equal(dropped(d, "echo", "loop"), 2);
    assert_int_equal(refused(d, "open"), 0);
}

void failed_replies_are_counted_and_logged(void**) {
    // Replies to 127.0.0.9 have no route: rules before the local table.
    int status = 0;
    run("ip rule add pref 100 lookup local && ip rule del pref 0 && "
        "ip rule add pref 50 to 127.0.0.9 unreachable",
        &status);
    assert_int_equal(status, 0);
    TestDaemon d(config_head() + "[echo]\nudp = 127.0.0.1:0\nrate = 0/s\n");
    assert_true(d.started());
    uint16_t port = d.port("echo", "udp");
    int fd = udp_socket("127.0.0.9");
    assert_true(fd >= 0);
    for (int i = 0; i < 20; ++i) assert_false(udp_ask(fd, "127.0.0.1", port, "x", 50).has_value());
    close(fd);
    // Others are still answered.
    auto reply = udp_ask_from("127.0.0.1", 0, "127.0.0.1", port, "ok");
    assert_true(reply && *reply == "ok");
    assert_true(d.wait_for_log("echo: reply to udp 127.0.0.9:"));
    size_t lines = count(d.log(), "echo: reply to udp 127.0.0.9:");
    print_message("20 unsendable replies: %ld counted, %zu logged\n", dropped(d, "echo", "send"),
                  lines);
    assert_true(d.log().find("not sent: Network is unreachable") != std::string::npos);
    assert_int_equal(dropped(d, "echo", "send"), 20);
    assert_true(lines <= 5);
    run("ip rule del pref 50 && ip rule add pref 0 lookup local && ip rule del pref 100");
}

}  // namespace

int main() {
    if (!enter_private_network()) return 77;
    return run_test_group({cmocka_unit_test(broadcast_and_multicast_destinations_get_no_reply),
                           cmocka_unit_test(failed_replies_are_counted_and_logged)});
}
