// SPDX-License-Identifier: BSD-2-Clause
// Reflection loops between STAMP reflectors: one datagram forged to come
// from one reflector and sent to another (two instances of one daemon, two
// daemons, a socket to itself) makes at most a handful of datagrams, then
// silence, and the loop counter says why. A stamp instance serves senders on
// port 862, and two reflectors on 862 still cannot loop. Runs in a network
// namespace of its own (root needed, else skipped with status 77): the
// forged datagrams leave a raw socket.
#include <signal.h>

#include "harness.h"
#include "udp_loop.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace harness;
using namespace protect;
using namespace udp_loop;

namespace {

// A forged datagram is taken in once by the reflector it was sent to and,
// when that one answers, once by the reflector the answer reaches.
constexpr long kHandful = 4;

std::string stamp(const std::string& name, const std::string& udp) {
    return "[" + name + "]\ntype = stamp\nudp = " + udp + "\nrate = 0/s\n";
}

// A STAMP exchange from `from`:`port` (0: any port) to `to`:`dport`.
bool answered(const char* from, uint16_t port, const char* to, uint16_t dport,
              int timeout_ms = kPatienceMs) {
    auto p = stamp_sender(99);
    auto reply = udp_ask_from(from, port, to, dport, std::string(p.begin(), p.end()), timeout_ms);
    return reply && reply->size() == p.size();
}

void two_instances_of_one_daemon(void**) {
    std::string ini = config_head() + stamp("a", "127.0.0.1:0") + stamp("b", "127.0.0.1:0");
    TestDaemon d(ini);
    assert_true(d.started());
    uint16_t a = d.port("a", "udp"), b = d.port("b", "udp");
    assert_true(send_forged("127.0.0.1", a, "127.0.0.1", b, stamp_sender(1)));
    assert_true(fell_silent("two stamp instances of one daemon", {{d, "a"}, {d, "b"}}, kHandful));
    // A reload that adds an instance: its socket is ours too.
    d.write_config(ini + stamp("c", "127.0.0.1:0"));
    size_t mark = d.log_size();
    d.signal(SIGHUP);
    assert_true(d.wait_for_log("reload done", kPatienceMs, mark));
    uint16_t c = d.port("c", "udp");
    assert_true(c != 0);
    assert_true(send_forged("127.0.0.1", c, "127.0.0.1", b, stamp_sender(2)));
    assert_true(fell_silent("after a reload, from the new instance", {{d, "a"}, {d, "b"}, {d, "c"}},
                            2 * kHandful));
    assert_true(d.wait_for_log("from a UDP socket of this smalld: not answered (a loop)"));
    // Senders are still served.
    assert_true(answered("127.0.0.1", 0, "127.0.0.1", b));
}

void two_daemons(void**) {
    TestDaemon one(config_head() + stamp("stamp", "127.0.0.1:0"));
    TestDaemon two(config_head() + stamp("stamp", "127.0.0.1:0"));
    assert_true(one.started() && two.started());
    uint16_t p1 = one.port("stamp", "udp"), p2 = two.port("stamp", "udp");
    assert_true(send_forged("127.0.0.1", p1, "127.0.0.1", p2, stamp_sender(1)));
    // The second answers the forged sender packet; the first refuses the
    // reflected packet that reaches it.
    assert_true(fell_silent("stamp in two daemons", {{one, "stamp"}, {two, "stamp"}}, kHandful));
    assert_true(one.wait_for_log("a reflected STAMP packet: not answered (a loop)"));
    assert_true(answered("127.0.0.1", 0, "127.0.0.1", p1));
    assert_true(answered("127.0.0.1", 0, "127.0.0.1", p2));
}

void a_socket_and_itself(void**) {
    // Bound to the address, and to the wildcard: the forged source is the
    // socket's own address either way.
    for (const char* bind : {"127.0.0.1:0", "0.0.0.0:0"}) {
        TestDaemon d(config_head() + stamp("stamp", bind));
        assert_true(d.started());
        uint16_t p = d.port("stamp", "udp");
        assert_true(send_forged("127.0.0.1", p, "127.0.0.1", p, stamp_sender(1)));
        assert_true(fell_silent(std::string("stamp to itself, bound to ") + bind, {{d, "stamp"}},
                                kHandful));
        assert_true(answered("127.0.0.1", 0, "127.0.0.1", p));
    }
}

void senders_on_862_are_served_and_reflectors_on_862_do_not_loop(void**) {
    TestDaemon one(config_head() + stamp("stamp", "127.0.0.1:862"));
    TestDaemon two(config_head() + stamp("stamp", "127.0.0.2:862"));
    assert_true(one.started() && two.started());
    // A sender whose source port is 862 (as some routers send) is answered.
    assert_true(answered("127.0.0.3", 862, "127.0.0.2", 862));
    // Two reflectors on 862: one forged datagram, and no loop.
    assert_true(send_forged("127.0.0.1", 862, "127.0.0.2", 862, stamp_sender(1)));
    assert_true(
        fell_silent("stamp on 862 in two daemons", {{one, "stamp"}, {two, "stamp"}}, 1 + kHandful));
}

}  // namespace

int main() {
    if (!enter_private_network()) return 77;
    return run_test_group(
        {cmocka_unit_test(two_instances_of_one_daemon), cmocka_unit_test(two_daemons),
         cmocka_unit_test(a_socket_and_itself),
         cmocka_unit_test(senders_on_862_are_served_and_reflectors_on_862_do_not_loop)});
}
