// SPDX-License-Identifier: BSD-2-Clause
// smallprobe stamp's loss split equals what happened, exactly: in a private
// network namespace, a relay (stamp_drop_relay.h) between smallprobe and
// smalld's stateful reflector drops packets per direction by a fixed plan
// and logs them; the reflector drops by its rate limit, by its access list
// (a reload in the middle of the run) and loses the session to a flood of
// new SSIDs. smallprobe -j's lost_forward, lost_backward, lost_reflector,
// lost_unknown and reflector_resets must equal the relay's log and the
// reflector's own counters (smallctl stats), whatever the pattern: 1% and
// 10% one way, the last packet lost either way (with the reflector's
// counters exactly, without them of unknown direction), and never the
// reflector's drops as path loss. Every run waits -w 1s after its loss.
#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <string>

#include "harness.h"
#include "stamp_drop_relay.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace harness;
using stamp_relay::DropRelay;
using stamp_relay::Plan;

namespace {

constexpr unsigned kPackets = 300;  // 1% is 3 packets, 10% is 30
// Fixed ports (a private namespace): a reload keeps every listener.
constexpr uint16_t kPlain = 8621, kLimited = 8622, kTrickle = 8623, kAcl = 8624, kSmall = 8625;

std::string config(bool deny) {
    auto instance = [](const char* name, uint16_t port, const std::string& extra) {
        return std::string("[") + name +
               "]\ntype = stamp\nudp = 127.0.0.1:" + std::to_string(port) + "\nmode = stateful\n" +
               extra + "\n";
    };
    return protect::config_head() + instance("plain", kPlain, "") +
           instance("limited", kLimited, "rate = 100/s\n") +
           instance("trickle", kTrickle, "rate = 1/s\n") +
           instance("acl", kAcl, deny ? "deny = 127.0.0.2/32\n" : "") +
           instance("small", kSmall, "sessions = 4\n");
}

struct Split {
    int status;
    bool stateful;
    long sent, lost, forward, backward, reflector, unknown, resets;
};

long number(const nlohmann::json& j, const char* key) {
    return j.contains(key) && j[key].is_number() ? j[key].get<long>() : -1;  // null: -1
}

// smallprobe stamp through `relay`; its -j figures. No assertion here: a
// failing one would leave the relay's thread running over a dead frame, so
// expect() checks once the relay has stopped.
Split probe(const DropRelay& relay, const char* extra = "") {
    int status = 0;
    std::string out = smallprobe("stamp -n " + std::to_string(kPackets) + " -i 1ms -w 1s -j " +
                                     extra + " 127.0.0.1:" + std::to_string(relay.port()),
                                 &status);
    fprintf(stderr, "%s", out.c_str());
    auto j = nlohmann::json::parse(out, nullptr, false);
    if (j.is_discarded()) return {status == 0 ? -1 : status, false, -1, -1, -1, -1, -1, -1, -1};
    return {status,
            j.value("stateful_reflector", false),
            number(j, "sent"),
            number(j, "lost"),
            number(j, "lost_forward"),
            number(j, "lost_backward"),
            number(j, "lost_reflector"),
            number(j, "lost_unknown"),
            number(j, "reflector_resets")};
}

void expect(const Split& s, long forward, long backward, long reflector, long unknown,
            long resets) {
    fprintf(stderr,
            "smallprobe: lost %ld: %ld forward, %ld backward, %ld by the reflector, %ld unknown, "
            "%ld resets; expected %ld, %ld, %ld, %ld, %ld\n",
            s.lost, s.forward, s.backward, s.reflector, s.unknown, s.resets, forward, backward,
            reflector, unknown, resets);
    assert_int_equal(s.status, 0);
    assert_true(s.stateful);
    assert_int_equal(s.sent, kPackets);
    assert_int_equal(s.lost, std::max(forward, 0L) + std::max(backward, 0L) +
                                 std::max(reflector, 0L) + std::max(unknown, 0L));
    assert_int_equal(s.forward, forward);
    assert_int_equal(s.backward, backward);
    assert_int_equal(s.reflector, reflector);
    assert_int_equal(s.unknown, unknown);
    assert_int_equal(s.resets, resets);
}

// Packets first, first + every, ... up to kPackets.
std::set<unsigned> every(unsigned every, unsigned first) {
    std::set<unsigned> numbers;
    for (unsigned n = first; n <= kPackets; n += every) numbers.insert(n);
    return numbers;
}

long drops(const TestDaemon& d, const char* instance, const char* reason) {
    return protect::dropped(d, instance, reason);
}

}  // namespace

// The path's loss, one way at a time: the relay's log, to the packet.
static void path_loss_is_split_by_direction(void**) {
    if (!protect::enter_private_network()) skip();
    TestDaemon d(config(false));
    assert_true(d.started());
    for (unsigned period : {100u, 10u})
        for (bool forward : {true, false}) {
            Plan plan;
            (forward ? plan.forward : plan.backward) = every(period, period / 2);
            DropRelay relay(kPlain, plan);
            Split s = probe(relay);
            relay.stop();
            long logged = long(relay.dropped_forward().size() + relay.dropped_backward().size());
            expect(s, forward ? logged : 0, forward ? 0 : logged, 0, 0, 0);
            assert_int_equal(logged, kPackets / period);
        }
}

// The last packet lost: with the reflector's counters (a closing packet
// after -w fetches them) exactly; without them of unknown direction, never
// backward, and no closing packet is sent.
static void tail_loss(void**) {
    if (!protect::enter_private_network()) skip();
    TestDaemon d(config(false));
    assert_true(d.started());
    for (bool counters : {true, false})
        for (bool forward : {true, false}) {
            Plan plan;
            (forward ? plan.forward : plan.backward) = {kPackets};
            DropRelay relay(kPlain, plan);
            Split s = probe(relay, counters ? "" : "--no-counters");
            relay.stop();
            if (counters)
                expect(s, forward ? 1 : 0, forward ? 0 : 1, 0, 0, 0);
            else  // null without counters
                expect(s, 0, 0, -1, 1, -1);
            assert_int_equal(relay.forwarded(), kPackets + (counters ? 1 : 0));
        }
}

// The reflector's own drops: its rate limit and its access list. Each is
// lost_reflector, equal to smalld's count of its drops by that reason,
// and none of it path loss.
static void reflector_drops_are_not_path_loss(void**) {
    if (!protect::enter_private_network()) skip();
    TestDaemon d(config(false));
    assert_true(d.started());
    // 100/s: drops all along the run (the last packet answered or not);
    // 1/s: the first answered, every other one dropped, the last among them.
    for (const char* instance : {"limited", "trickle"}) {
        long before = drops(d, instance, "rate");
        DropRelay relay(instance == std::string("limited") ? kLimited : kTrickle, {});
        Split s = probe(relay);
        relay.stop();
        long dropped = drops(d, instance, "rate") - before;
        fprintf(stderr, "smalld: %ld dropped by [%s]'s rate\n", dropped, instance);
        expect(s, 0, 0, dropped, 0, 0);
        assert_true(dropped > 0);
    }
    // Packets 101 to 110 arrive while the access list denies the relay's
    // address: a reload once smalld answered the first 100, another once it
    // counted the ten. (The hook runs in the relay's thread: no cmocka
    // assertion there, a flag instead.)
    long before = drops(d, "acl", "acl");
    long reflected = protect::stat(d, "acl", "udp", "stamp.reflected_total");
    std::atomic<bool> in_step{true};
    Plan plan;
    plan.before = [&](unsigned n) {
        if (n != 101 && n != 111) return;
        bool settled = eventually([&] {
            return n == 101
                       ? protect::stat(d, "acl", "udp", "stamp.reflected_total") - reflected == 100
                       : drops(d, "acl", "acl") - before == 10;
        });
        d.write_config(config(n == 101));
        int status = 0;
        smallctl(d, "reload", &status);
        if (!settled || status != 0) in_step = false;
    };
    DropRelay relay(kAcl, plan, "127.0.0.2");
    Split s = probe(relay);
    relay.stop();
    long dropped = drops(d, "acl", "acl") - before;
    fprintf(stderr, "smalld: %ld dropped by [acl]'s access list\n", dropped);
    expect(s, 0, 0, dropped, 0, 0);
    assert_true(in_step);
    assert_int_equal(dropped, 10);
}

// A flood of new SSIDs from another address evicts the probe's session
// from a table of 4, three times; the relay drops three forward packets
// away from them. Three resets, three forward: the evictions are no loss.
static void session_eviction_is_a_reset(void**) {
    if (!protect::enter_private_network()) skip();
    TestDaemon d(config(false));
    assert_true(d.started());
    int flood = protect::udp_socket("127.0.0.3");
    assert_true(flood >= 0);
    uint16_t ssid = 1000;
    std::atomic<int> answered{0};
    Plan plan;
    plan.forward = {40, 110, 190};
    plan.before = [&](unsigned n) {
        if (n != 76 && n != 151 && n != 226) return;
        // Four new sessions, each answered before the probe's next packet.
        for (int i = 0; i < 4; ++i) {
            std::string packet(44, '\0');
            uint16_t wire = htons(++ssid);
            packet.replace(smalld::stamp::kUnauthenticated.ssid, 2,
                           reinterpret_cast<const char*>(&wire), 2);
            answered += protect::udp_ask(flood, "127.0.0.1", kSmall, packet).has_value();
        }
    };
    long evicted = protect::stat(d, "small", "udp", "stamp.sessions_evicted_total");
    DropRelay relay(kSmall, plan);
    Split s = probe(relay);
    relay.stop();
    close(flood);
    expect(s, long(relay.dropped_forward().size()), 0, 0, 0, 3);
    assert_int_equal(answered, 12);
    assert_int_equal(long(relay.dropped_forward().size()), 3);
    // The probe's session and 12 flood sessions through a table of 4.
    assert_int_equal(protect::stat(d, "small", "udp", "stamp.sessions_evicted_total") - evicted,
                     1 + 12 + 3 - 4);
}

int main() {
    return run_test_group({cmocka_unit_test(path_loss_is_split_by_direction),
                           cmocka_unit_test(tail_loss),
                           cmocka_unit_test(reflector_drops_are_not_path_loss),
                           cmocka_unit_test(session_eviction_is_a_reset)});
}
