// SPDX-License-Identifier: BSD-2-Clause
// Reflection loops the STAMP rule cannot see, stopped by the loop guard's
// bounce table: echo answering another daemon's echo, chargen answering an
// echo; and a reflected STAMP packet sent to a reflector from a port no
// reflector uses. Each forged datagram makes a bounded number of datagrams,
// then silence, counted as loop. Runs in a network namespace of its own
// (root needed, else skipped with status 77): the forged datagrams leave a
// raw socket.
#include "bounce_table.h"
#include "harness.h"
#include "udp_loop.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace harness;
using namespace protect;
using namespace udp_loop;

namespace {

// Each side answers the first datagram and kRepeats bounces, and the first
// to see one more drops it: about 2 x (kRepeats + 1). A bounce delayed past
// the table's window (a loaded machine) starts a count again, so the
// ceiling leaves room for a few of those; a loop that runs makes thousands.
constexpr long kCeiling = 8 * (smalld::BounceTable::kRepeats + 2);

std::string service(const std::string& name, const std::string& type) {
    return "[" + name + "]\ntype = " + type + "\nudp = 127.0.0.1:0\nrate = 0/s\n";
}

std::vector<uint8_t> bytes(const std::string& s) {
    return {s.begin(), s.end()};
}

void echo_answering_another_daemons_echo(void**) {
    TestDaemon one(config_head() + service("echo", "echo"));
    TestDaemon two(config_head() + service("echo", "echo"));
    assert_true(one.started() && two.started());
    uint16_t p1 = one.port("echo", "udp"), p2 = two.port("echo", "udp");
    assert_true(send_forged("127.0.0.1", p1, "127.0.0.1", p2, bytes("round and round")));
    assert_true(fell_silent("echo in two daemons", {{one, "echo"}, {two, "echo"}}, kCeiling));
    const std::string line = "the same datagram keeps coming back: not answered (a loop)";
    assert_true(eventually([&] {
        return one.log().find(line) != std::string::npos ||
               two.log().find(line) != std::string::npos;
    }));
    // Clients are still served, the same datagram once more included.
    auto reply = udp_ask_from("127.0.0.1", 0, "127.0.0.1", p2, "round and round");
    assert_true(reply && *reply == "round and round");
}

void chargen_answering_an_echo(void**) {
    TestDaemon one(config_head() + service("chargen", "chargen"));
    TestDaemon two(config_head() + service("echo", "echo"));
    assert_true(one.started() && two.started());
    uint16_t chargen = one.port("chargen", "udp"), echo = two.port("echo", "udp");
    // chargen's every reply is new, and comes back from the echo.
    assert_true(send_forged("127.0.0.1", chargen, "127.0.0.1", echo, bytes("x")));
    assert_true(fell_silent("chargen and echo in two daemons", {{one, "chargen"}, {two, "echo"}},
                            kCeiling));
    auto reply = udp_ask_from("127.0.0.1", 0, "127.0.0.1", chargen, "x");
    assert_true(reply.has_value());
}

void a_reflected_packet_from_an_unrelated_port(void**) {
    TestDaemon d(config_head() + service("stamp", "stamp"));
    assert_true(d.started());
    uint16_t port = d.port("stamp", "udp");
    // A genuine reply of this reflector...
    auto sender = stamp_sender(7);
    auto reply =
        udp_ask_from("127.0.0.1", 0, "127.0.0.1", port, std::string(sender.begin(), sender.end()));
    assert_true(reply && reply->size() == sender.size());
    // ... sent back to it from a port no reflector uses: no answer.
    auto again = udp_ask_from("127.0.0.1", 0, "127.0.0.1", port, *reply, kQuietMs);
    print_message("a reflected STAMP packet from an unrelated port: %s\n",
                  again ? "answered" : "not answered");
    assert_false(again.has_value());
    assert_true(eventually([&] { return loop_drops(d, "stamp").read() == 1; }));
    assert_int_equal(protect::stat(d, "stamp", "udp", "stamp.reflected_total"), 1);
}

}  // namespace

int main() {
    if (!enter_private_network()) return 77;
    return run_test_group({cmocka_unit_test(echo_answering_another_daemons_echo),
                           cmocka_unit_test(chargen_answering_an_echo),
                           cmocka_unit_test(a_reflected_packet_from_an_unrelated_port)});
}
