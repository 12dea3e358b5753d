// SPDX-License-Identifier: BSD-2-Clause
// Admission: the two decisions and their order, every address class of the
// UDP loop guard's source and destination checks, and the bounded table of
// sources.
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "admission.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;

namespace {

SockAddr addr(const char* ip, uint16_t port) {
    SockAddr a;
    if (strchr(ip, ':')) {
        auto* s = reinterpret_cast<sockaddr_in6*>(&a.storage);
        s->sin6_family = AF_INET6;
        s->sin6_port = htons(port);
        inet_pton(AF_INET6, ip, &s->sin6_addr);
        a.len = sizeof *s;
    } else {
        auto* s = reinterpret_cast<sockaddr_in*>(&a.storage);
        s->sin_family = AF_INET;
        s->sin_port = htons(port);
        inet_pton(AF_INET, ip, &s->sin_addr);
        a.len = sizeof *s;
    }
    return a;
}

bool suspect(const char* ip, uint16_t port = 40000) {
    return udp_source_is_suspect(addr(ip, port));
}

}  // namespace

static void source_address_classes(void**) {
    // Ordinary unicast clients are answered.
    for (const char* ok : {"127.0.0.1", "10.1.2.3", "192.168.1.255", "1.0.0.1", "223.255.255.255",
                           "::1", "2001:db8::1", "fe80::1", "fc00::1"})
        assert_false(suspect(ok));
    // 0.0.0.0/8.
    for (const char* bad : {"0.0.0.0", "0.1.2.3", "0.255.255.255"}) assert_true(suspect(bad));
    // Multicast 224.0.0.0/4.
    for (const char* bad : {"224.0.0.1", "239.255.255.255"}) assert_true(suspect(bad));
    // Reserved 240.0.0.0/4, and the limited broadcast within it.
    for (const char* bad : {"240.0.0.1", "250.1.2.3", "255.255.255.254", "255.255.255.255"})
        assert_true(suspect(bad));
    // IPv6: unspecified, multicast, IPv4-mapped, IPv4-compatible.
    for (const char* bad : {"::", "ff02::1", "ff0e::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1",
                            "::10.0.0.1", "::127.0.0.1"})
        assert_true(suspect(bad));
}

static void source_ports(void**) {
    assert_true(suspect("127.0.0.1", 0));
    assert_true(suspect("127.0.0.1", 7));
    assert_true(suspect("127.0.0.1", 19));
    assert_true(suspect("127.0.0.1", 1023));
    assert_true(suspect("127.0.0.1", 2049));
    assert_false(suspect("127.0.0.1", 1024));
    assert_false(suspect("127.0.0.1", 2048));
    assert_false(suspect("::1", 65535));
}

namespace {

// A received message carrying IP_PKTINFO (header destination `to`, local
// address `local`) or IPV6_PKTINFO (`to`).
struct Received {
    alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof(in6_pktinfo))]{};
    msghdr msg{};

    Received(const char* to, const char* local) {
        msg.msg_control = control;
        if (strchr(to, ':')) {
            in6_pktinfo info{};
            inet_pton(AF_INET6, to, &info.ipi6_addr);
            carry(IPPROTO_IPV6, IPV6_PKTINFO, info);
        } else {
            in_pktinfo info{};
            inet_pton(AF_INET, to, &info.ipi_addr);
            inet_pton(AF_INET, local, &info.ipi_spec_dst);
            carry(IPPROTO_IP, IP_PKTINFO, info);
        }
    }

    // The message's one control message: `info` at `level`, `type`.
    template <class Info>
    void carry(int level, int type, const Info& info) {
        msg.msg_controllen = sizeof control;
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = level;
        c->cmsg_type = type;
        c->cmsg_len = CMSG_LEN(sizeof info);
        memcpy(CMSG_DATA(c), &info, sizeof info);
        msg.msg_controllen = CMSG_SPACE(sizeof info);
    }
};

bool dest_suspect(const char* to, const char* local = nullptr) {
    Received r(to, local ? local : to);
    return udp_destination_is_suspect(r.msg);
}

}  // namespace

static void destination_address_classes(void**) {
    // Unicast to a local address: the kernel reports it as both.
    assert_false(dest_suspect("127.0.0.1"));
    assert_false(dest_suspect("192.168.1.10"));
    assert_false(dest_suspect("::1"));
    assert_false(dest_suspect("2001:db8::1"));
    // Limited, loopback and subnet broadcasts: the local address differs.
    assert_true(dest_suspect("255.255.255.255", "192.168.1.10"));
    assert_true(dest_suspect("127.255.255.255", "127.0.0.1"));
    assert_true(dest_suspect("192.168.1.255", "192.168.1.10"));
    // Multicast and reserved, whatever the kernel says.
    assert_true(dest_suspect("224.0.0.1"));
    assert_true(dest_suspect("239.1.2.3", "127.0.0.1"));
    assert_true(dest_suspect("240.0.0.1"));
    assert_true(dest_suspect("ff02::1"));
    assert_true(dest_suspect("ff05::1:3"));
    // No control data (a socket without PKTINFO): nothing to judge.
    msghdr none{};
    assert_false(udp_destination_is_suspect(none));
}

static void reply_cap_follows_factor_and_family(void**) {
    SockAddr v4 = addr("127.0.0.1", 40000), v6 = addr("::1", 40000),
             mapped = addr("::ffff:127.0.0.1", 40000);
    assert_int_equal(udp_reply_cap(0, 1.0, v4), 32);
    assert_int_equal(udp_reply_cap(10, 1.0, v4), 32);
    assert_int_equal(udp_reply_cap(100, 1.0, v4), 100);
    assert_int_equal(udp_reply_cap(100, 0.5, v4), 50);
    assert_int_equal(udp_reply_cap(100, 2.5, v4), 250);
    assert_int_equal(udp_reply_cap(65507, 1.0, v4), 65507);
    assert_int_equal(udp_reply_cap(65507, 1000.0, v4), 65507);
    assert_int_equal(udp_reply_cap(65527, 1.0, v6), 65527);
    assert_int_equal(udp_reply_cap(65508, 1000.0, v6), 65527);
    assert_int_equal(udp_reply_cap(65527, 1.0, mapped), 65507);
}

static InstanceConfig open_config() {
    InstanceConfig config;
    config.allow = {*parse_cidr("127.0.0.0/8", nullptr)};
    config.deny = {*parse_cidr("127.0.0.66/32", nullptr)};
    config.max_connections = 2;
    config.per_source = 1;
    config.rate = {1, 1};
    return config;
}

// admit_connection: ACL, the daemon's and the instance's limits, per_source,
// then the rate; a refusal earlier in the order takes no token.
static void connection_decisions_in_order(void**) {
    InstanceConfig config = open_config();
    AdmissionState state;
    SockAddr a = addr("127.0.0.1", 40000), b = addr("127.0.0.2", 40000);
    auto admit = [&](const SockAddr& peer, size_t daemon_sessions = 0, unsigned daemon_max = 0) {
        return admit_connection(config, state, {peer, daemon_sessions, daemon_max, 1000});
    };
    auto refused = [](ConnectionDecision d, RejectReason r) {
        return !d.admitted && d.reason == r;
    };
    assert_true(refused(admit(addr("10.0.0.1", 40000)), RejectReason::Acl));
    assert_true(refused(admit(addr("127.0.0.66", 40000)), RejectReason::Acl));  // deny wins
    assert_true(refused(admit(a, 5, 5), RejectReason::Limit));                  // the daemon's
    assert_true(admit(a).admitted);  // takes a's one token
    state.opened(source_key(a));
    assert_true(refused(admit(a), RejectReason::PerSource));  // before the (empty) bucket
    state.closed(source_key(a));
    assert_true(refused(admit(a), RejectReason::Rate));
    state.opened(source_key(a));
    state.opened(source_key(addr("127.0.0.3", 40000)));
    assert_true(refused(admit(b), RejectReason::Limit));  // the instance's max_connections
    state.closed(source_key(a));
    assert_int_equal(state.tcp_sessions, 1);
    assert_true(admit(b).admitted);  // b's token was not taken by the refusal
    config.max_connections = 0;      // 0 = no limit
    config.per_source = 0;
    config.rate = {0, 0};
    for (int i = 0; i < 100; ++i) state.opened(source_key(b));
    assert_true(admit(b).admitted);
}

// admit_datagram: the loop guard, the ACL, the rate, and the reply cap.
static void datagram_decisions_in_order(void**) {
    InstanceConfig config = open_config();
    config.udp_amplification = 2.0;
    AdmissionState state;
    msghdr none{};
    auto admit = [&](const SockAddr& peer, size_t length = 10, size_t floor = 32) {
        return admit_datagram(config, floor, state, {peer, none, length, 1000});
    };
    auto dropped = [](DatagramDecision d, DropReason r) { return !d.admitted && d.reason == r; };
    // A loop from another small service: dropped before the ACL would refuse it.
    assert_true(dropped(admit(addr("10.0.0.1", 7)), DropReason::Loop));
    assert_true(dropped(admit(addr("10.0.0.1", 40000)), DropReason::Acl));
    DatagramDecision d = admit(addr("127.0.0.1", 40000), 100);
    assert_true(d.admitted);
    assert_int_equal(d.reply_cap, 200);
    assert_true(dropped(admit(addr("127.0.0.1", 40001)), DropReason::Rate));
    d = admit(addr("127.0.0.2", 40000), 1, 44);  // the type's floor
    assert_true(d.admitted);
    assert_int_equal(d.reply_cap, 44);
    // udp_loop_guard = no lets the privileged port through to the ACL.
    config.udp_loop_guard = false;
    assert_true(dropped(admit(addr("10.0.0.1", 7)), DropReason::Acl));
}

static SourceKey key_of(uint32_t n) {
    SockAddr a = addr("10.0.0.0", 40000);
    reinterpret_cast<sockaddr_in*>(&a.storage)->sin_addr.s_addr = htonl(0x0A000000u + n);
    return source_key(a);
}

static void flood_of_sources_keeps_a_throttled_source_throttled(void**) {
    constexpr size_t kCapacity = 1024;
    SourceTable table(kCapacity);
    const Rate rate{10, 10};
    const SourceKey victim = key_of(0), attacker = key_of(1);
    int64_t now = 1'000'000;
    // A source with sessions is never forgotten.
    table.opened(victim);
    // The attacker spends its burst and is throttled.
    for (int i = 0; i < 10; ++i) assert_true(table.take_token(attacker, rate, now));
    assert_false(table.take_token(attacker, rate, now));
    // A flood of forged sources, one datagram each, over 2 s, while the
    // attacker keeps trying 100 times a second: it gets its rate, 10/s.
    size_t largest = 0;
    int tries = 0, admitted = 0;
    for (uint32_t n = 2; n < 200'000; ++n) {
        if (n % 1000 == 0) {
            now += 10;
            ++tries;
            admitted += table.take_token(attacker, rate, now);
        }
        table.take_token(key_of(n), rate, now);
        largest = std::max(largest, table.size());
    }
    print_message(
        "200000 sources: table at most %zu entries (capacity %zu); the throttled "
        "source got %d of %d tries through in 2 s at 10/s\n",
        largest, kCapacity, admitted, tries);
    assert_true(largest <= kCapacity);
    assert_true(admitted <= 2 * 10 + 1);
    assert_false(table.can_open(victim, 1));
    // Once the attacker stops, its bucket refills as usual.
    now += 1000;
    for (int i = 0; i < 10; ++i) assert_true(table.take_token(attacker, rate, now));
    assert_false(table.take_token(attacker, rate, now));
}

// per_source counts what is open, whether a source's entry outlives its
// last session or not, and sources that come and go one connection at a
// time never grow the table past its capacity.
static void per_source_counts_and_stays_bounded(void**) {
    constexpr size_t kCapacity = 1024;
    SourceTable table(kCapacity);
    const SourceKey a = key_of(0);
    table.opened(a);
    table.opened(a);
    assert_false(table.can_open(a, 2));
    table.closed(a);
    assert_true(table.can_open(a, 2));
    table.closed(a);
    table.closed(a);  // one close too many changes nothing
    table.opened(a);
    table.opened(a);
    assert_false(table.can_open(a, 2));
    size_t largest = 0;
    for (uint32_t n = 1; n < 100'000; ++n) {
        table.opened(key_of(n));
        table.closed(key_of(n));
        largest = std::max(largest, table.size());
    }
    assert_true(largest <= kCapacity);
    // The source with open sessions was not forgotten.
    assert_false(table.can_open(a, 2));
}

int main() {
    return run_test_group({cmocka_unit_test(connection_decisions_in_order),
                           cmocka_unit_test(datagram_decisions_in_order),
                           cmocka_unit_test(source_address_classes), cmocka_unit_test(source_ports),
                           cmocka_unit_test(destination_address_classes),
                           cmocka_unit_test(reply_cap_follows_factor_and_family),
                           cmocka_unit_test(flood_of_sources_keeps_a_throttled_source_throttled),
                           cmocka_unit_test(per_source_counts_and_stays_bounded)});
}
