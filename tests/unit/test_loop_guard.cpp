// SPDX-License-Identifier: BSD-2-Clause
// The UDP loop guard's layers beyond the address classes: the daemon's own
// sockets (exact and wildcard binds), the bounce table, the stamp instance's
// port 862, and their place in admit_datagram's order.
#include <arpa/inet.h>

#include <cstring>
#include <string>
#include <vector>

#include "admission.h"
#include "bounce_table.h"
#include "endpoint.h"
#include "own_sockets.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;

namespace {

std::vector<uint8_t> bytes(const std::string& s) {
    return {s.begin(), s.end()};
}

constexpr int64_t kMs = 1'000'000;  // in nanoseconds

}  // namespace

static void own_sockets_match_exact_binds_by_address_and_port(void**) {
    OwnSockets own;
    own.set_host_addresses({});
    std::vector<SockAddr> bound = {at("127.0.0.1:20862"), at("[::1]:20864"), at("192.0.2.7:5000")};
    own.assign(bound);
    assert_int_equal(own.size(), 3);
    assert_true(own.contains(at("127.0.0.1:20862"), nullptr, 0));
    assert_true(own.contains(at("[::1]:20864"), nullptr, 0));
    assert_true(own.contains(at("192.0.2.7:5000"), nullptr, 0));
    // Another address or port, or the other family, is somebody else.
    assert_false(own.contains(at("127.0.0.2:20862"), nullptr, 0));
    assert_false(own.contains(at("127.0.0.1:20863"), nullptr, 0));
    assert_false(own.contains(at("[::1]:20862"), nullptr, 0));
    assert_false(own.contains(at("192.0.2.8:5000"), nullptr, 0));
    // A reload replaces the set.
    own.assign(std::vector<SockAddr>{at("127.0.0.1:7000")});
    assert_false(own.contains(at("127.0.0.1:20862"), nullptr, 0));
    assert_true(own.contains(at("127.0.0.1:7000"), nullptr, 0));
}

static void own_sockets_match_wildcard_binds_from_this_host_only(void**) {
    OwnSockets own;
    own.set_host_addresses({at("192.0.2.7:0"), at("[2001:db8::7]:0")});
    std::vector<SockAddr> bound = {at("0.0.0.0:862"), at("[::]:9000")};
    own.assign(bound);
    SockAddr to = at("198.51.100.1:0");
    // Our port from an address of this host: loopback, listed, or the
    // address the datagram was sent to.
    assert_true(own.contains(at("127.0.0.1:862"), nullptr, 0));
    assert_true(own.contains(at("127.9.9.9:862"), nullptr, 0));
    assert_true(own.contains(at("192.0.2.7:862"), nullptr, 0));
    assert_true(own.contains(at("198.51.100.1:862"), &to, 0));
    assert_true(own.contains(at("[::1]:9000"), nullptr, 0));
    assert_true(own.contains(at("[2001:db8::7]:9000"), nullptr, 0));
    // The same port from another host is another host's socket (a STAMP
    // sender on 862 elsewhere is served).
    assert_false(own.contains(at("192.0.2.8:862"), nullptr, 0));
    assert_false(own.contains(at("192.0.2.8:862"), &to, 0));
    assert_false(own.contains(at("[2001:db8::8]:9000"), nullptr, 0));
    // An IPv6 socket never sends IPv4 (smalld's are IPv6-only).
    assert_false(own.contains(at("127.0.0.1:9000"), nullptr, 0));
    assert_false(own.contains(at("127.0.0.1:863"), nullptr, 0));
}

static void own_sockets_read_this_hosts_addresses(void**) {
    // Without fixed addresses the set asks getifaddrs(3): loopback is
    // always local, a documentation address never is.
    OwnSockets own;
    own.assign(std::vector<SockAddr>{at("0.0.0.0:4000")});
    assert_true(own.contains(at("127.0.0.1:4000"), nullptr, 0));
    assert_false(own.contains(at("203.0.113.9:4000"), nullptr, 0));
    assert_false(own.contains(at("203.0.113.9:4000"), nullptr, 5000));
}

static void payload_hash_tells_datagrams_apart(void**) {
    auto h = [](const std::string& s) {
        auto b = bytes(s);
        return payload_hash(b);
    };
    assert_true(h("ping") == h("ping"));
    assert_true(h("ping") != h("pong"));
    assert_true(h("") != h(std::string(1, '\0')));
    assert_true(h(std::string(8, '\0')) != h(std::string(9, '\0')));
    assert_true(h("abcdefgh-1") != h("abcdefgh-2"));
}

static void bounce_table_drops_what_keeps_coming_back(void**) {
    BounceTable table;
    SockAddr peer = at("192.0.2.1:7777"), other = at("192.0.2.1:7778");
    uint64_t x = 0x1234, y = 0x5678;
    int64_t t = 1'800'000'000LL * 1'000'000'000LL;
    // Nothing answered yet: nothing bounces.
    assert_false(table.check(peer, x, t).bounce);
    table.answered(peer, x, x, false, t);
    // The same datagram sent again after the reply left, within the window:
    // a bounce, answered kRepeats times in a row, then dropped.
    unsigned answered = 0;
    for (unsigned i = 0; i < 10; ++i) {
        t += kMs;
        auto c = table.check(peer, x, t);
        assert_true(c.bounce);
        if (c.drop) break;
        table.answered(peer, x, x, c.bounce, t + 10'000);
        ++answered;
    }
    assert_int_equal(answered, BounceTable::kRepeats);
    // Another port of the same host is another peer.
    assert_false(table.check(other, x, t).bounce);
    // Something new from the peer is answered and starts the count again.
    assert_false(table.check(peer, y, t).bounce);
    table.answered(peer, y, y, false, t);
    t += kMs;
    auto c = table.check(peer, x, t);
    assert_true(c.bounce);
    assert_false(c.drop);
}

static void bounce_table_knows_a_reply_from_a_request_and_a_burst_from_a_loop(void**) {
    BounceTable table;
    SockAddr peer = at("[2001:db8::1]:4000");
    int64_t t = 1'800'000'000LL * 1'000'000'000LL;
    // Our reply coming back (chargen answered by an echo) is a bounce.
    table.answered(peer, 1, 2, false, t);
    assert_true(table.check(peer, 2, t + kMs).bounce);
    assert_true(table.check(peer, 1, t + kMs).bounce);
    // What arrived before the reply left (a client's burst) is not.
    assert_false(table.check(peer, 1, t - kMs).bounce);
    assert_false(table.check(peer, 1, t).bounce);
    // Nor what comes after the window.
    assert_false(table.check(peer, 1, t + BounceTable::kWindowNs + 1).bounce);
    // Several datagrams circulating at once are each remembered.
    BounceTable many;
    for (uint64_t h = 1; h <= 4; ++h) many.answered(peer, h, h, false, t);
    unsigned answered = 0;
    for (int round = 0; round < 5; ++round)
        for (uint64_t h = 1; h <= 4; ++h) {
            t += kMs;
            auto c = many.check(peer, h, t);
            assert_true(c.bounce);
            if (c.drop) continue;
            many.answered(peer, h, h, true, t + 1000);
            ++answered;
        }
    assert_int_equal(answered, BounceTable::kRepeats);
}

static void bounce_table_stays_bounded(void**) {
    // A flood of peers overwrites slots; it never allocates per datagram and
    // the last peers answered are still known.
    BounceTable table(64);
    int64_t t = 1'800'000'000LL * 1'000'000'000LL;
    SockAddr peer = at("10.0.0.0:1000");
    auto* sin = reinterpret_cast<sockaddr_in*>(&peer.storage);
    for (uint32_t n = 0; n < 100'000; ++n) {
        sin->sin_addr.s_addr = htonl(0x0A000000u + n);
        table.answered(peer, n, n, false, t);
    }
    assert_true(table.check(peer, 99'999, t + kMs).bounce);
}

static void admit_datagram_orders_the_layers(void**) {
    InstanceConfig config;
    config.allow = {*parse_cidr("0.0.0.0/0", nullptr)};
    config.rate = {0, 0};
    AdmissionState state;
    OwnSockets own;
    own.set_host_addresses({});
    own.assign(std::vector<SockAddr>{at("127.0.0.1:20862")});
    msghdr none{};
    auto payload = bytes("loop me");
    int64_t t = 1'800'000'000LL * 1'000'000'000LL;
    auto admit = [&](const SockAddr& peer, int64_t arrival) {
        DatagramRequest r{peer, none, payload.size(), 1000};
        r.own = &own;
        r.payload = payload.data();
        r.arrival_ns = arrival;
        return admit_datagram(config, 32, state, r);
    };
    // From one of our sockets: a loop, whatever the ACL says.
    DatagramDecision d = admit(at("127.0.0.1:20862"), t);
    assert_false(d.admitted);
    assert_int_equal(d.reason, DropReason::Loop);
    assert_non_null(d.loop);
    config.deny = {*parse_cidr("127.0.0.1/32", nullptr)};
    assert_int_equal(admit(at("127.0.0.1:20862"), t).reason, DropReason::Loop);
    config.deny.clear();
    // A peer that keeps sending back what it was sent.
    SockAddr peer = at("127.0.0.1:40000");
    d = admit(peer, t);
    assert_true(d.admitted);
    assert_false(d.bounce);
    state.bounces.answered(peer, d.payload_hash, d.payload_hash, d.bounce, t);
    unsigned answered = 0;
    for (int i = 0; i < 10; ++i) {
        t += kMs;
        d = admit(peer, t);
        if (!d.admitted) break;
        assert_true(d.bounce);
        state.bounces.answered(peer, d.payload_hash, d.payload_hash, d.bounce, t + 1000);
        ++answered;
    }
    assert_int_equal(answered, BounceTable::kRepeats);
    assert_int_equal(d.reason, DropReason::Loop);
    // udp_loop_guard = no turns every layer off.
    config.udp_loop_guard = false;
    assert_true(admit(at("127.0.0.1:20862"), t).admitted);
    assert_true(admit(peer, t + kMs).admitted);
}

static void a_stamp_instance_serves_senders_on_862(void**) {
    assert_true(udp_source_is_suspect(at("192.0.2.1:862")));
    assert_true(udp_source_is_suspect(at("192.0.2.1:862"), ServiceType::Echo));
    assert_false(udp_source_is_suspect(at("192.0.2.1:862"), ServiceType::Stamp));
    assert_false(udp_source_is_suspect(at("[2001:db8::1]:862"), ServiceType::Stamp));
    // Only 862: another privileged port is still another service.
    assert_true(udp_source_is_suspect(at("192.0.2.1:7"), ServiceType::Stamp));
    assert_true(udp_source_is_suspect(at("192.0.2.1:863"), ServiceType::Stamp));
    assert_true(udp_source_is_suspect(at("192.0.2.1:2049"), ServiceType::Stamp));
    assert_true(udp_source_is_suspect(at("0.0.0.1:862"), ServiceType::Stamp));
}

int main() {
    return run_test_group(
        {cmocka_unit_test(own_sockets_match_exact_binds_by_address_and_port),
         cmocka_unit_test(own_sockets_match_wildcard_binds_from_this_host_only),
         cmocka_unit_test(own_sockets_read_this_hosts_addresses),
         cmocka_unit_test(payload_hash_tells_datagrams_apart),
         cmocka_unit_test(bounce_table_drops_what_keeps_coming_back),
         cmocka_unit_test(bounce_table_knows_a_reply_from_a_request_and_a_burst_from_a_loop),
         cmocka_unit_test(bounce_table_stays_bounded),
         cmocka_unit_test(admit_datagram_orders_the_layers),
         cmocka_unit_test(a_stamp_instance_serves_senders_on_862)});
}
