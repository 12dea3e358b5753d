// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Helpers for the UDP loop tests: a datagram with a forged source (a raw
// socket, so root in a network namespace of the test's own), a STAMP sender
// packet, and "how many datagrams did the daemons take in before they fell
// silent". Every wait is bounded.

#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "stamp_packet.h"

namespace udp_loop {

using Clock = std::chrono::steady_clock;

// Sends `payload` from `src`:`sport` to `dst`:`dport` (IPv4) as if the
// source had sent it; false when the raw socket or the send failed.
inline bool send_forged(const char* src, uint16_t sport, const char* dst, uint16_t dport,
                        const std::vector<uint8_t>& payload) {
    int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
    if (fd < 0) return false;
    std::vector<uint8_t> packet(sizeof(iphdr) + sizeof(udphdr) + payload.size());
    auto* ip = reinterpret_cast<iphdr*>(packet.data());
    ip->version = 4;
    ip->ihl = 5;
    ip->tot_len = htons(uint16_t(packet.size()));
    ip->ttl = 64;
    ip->protocol = IPPROTO_UDP;
    inet_pton(AF_INET, src, &ip->saddr);
    inet_pton(AF_INET, dst, &ip->daddr);
    auto* udp = reinterpret_cast<udphdr*>(packet.data() + sizeof(iphdr));
    udp->source = htons(sport);
    udp->dest = htons(dport);
    udp->len = htons(uint16_t(sizeof(udphdr) + payload.size()));
    udp->check = 0;  // none: optional over IPv4
    if (!payload.empty())
        std::memcpy(packet.data() + sizeof(iphdr) + sizeof(udphdr), payload.data(), payload.size());
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = ip->daddr;
    // The kernel fills in the IP checksum and identification.
    bool sent = sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to),
                       sizeof to) == ssize_t(packet.size());
    close(fd);
    return sent;
}

// An unauthenticated STAMP Session-Sender packet (RFC 8762 4.2.1).
inline std::vector<uint8_t> stamp_sender(uint32_t seq, size_t size = smalld::stamp::kBaseSize) {
    std::vector<uint8_t> p(size, 0);
    smalld::stamp::store32(p.data(), seq);
    smalld::stamp::store64(
        p.data() + 4,
        smalld::stamp::encode_timestamp(smalld::wall_now(), smalld::stamp::TimestampFormat::Ntp));
    smalld::stamp::store16(p.data() + 12, 0x8001);
    return p;
}

// One counter of a daemon's instance, as `smallctl -j stats` reports it (0 when absent).
struct Counter {
    const harness::TestDaemon* daemon;
    std::string instance;
    const char* key;
    const char* reason = nullptr;
    long read() const {
        long v = protect::stat(*daemon, instance, "udp", key, reason);
        return v < 0 ? 0 : v;
    }
};

inline long sum(const std::vector<Counter>& counters) {
    long total = 0;
    for (const auto& c : counters) total += c.read();
    return total;
}

// Waits until the sum of `counters` stops changing for kQuietMs (silence),
// or passes `ceiling` (a loop: no need to wait for more), within
// kPatienceMs; returns the last sum. A loop that never ends shows as a sum
// above the ceiling, or as one still changing when patience ran out.
struct Settled {
    long total = 0;
    bool silent = false;
};
inline Settled settle(const std::vector<Counter>& counters, long ceiling) {
    auto deadline = Clock::now() + std::chrono::milliseconds(harness::kPatienceMs);
    long last = sum(counters);
    auto since = Clock::now();
    while (Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        long now = sum(counters);
        if (now > ceiling) return {now, false};
        if (now != last) {
            last = now;
            since = Clock::now();
        } else if (Clock::now() - since >= std::chrono::milliseconds(harness::kQuietMs)) {
            return {now, true};
        }
    }
    harness::report_expired(harness::kPatienceMs, "the daemons' UDP counters to settle");
    return {last, false};
}

// After a loop was seen: the datagrams taken in over one more second, for
// the record (what the loop costs while it runs).
inline long per_second(const std::vector<Counter>& counters) {
    long before = sum(counters);
    std::this_thread::sleep_for(std::chrono::seconds(1));
    return sum(counters) - before;
}

// The datagrams taken in and the loop drops of an instance.
inline Counter taken_in(const harness::TestDaemon& d, const std::string& instance) {
    return {&d, instance, "datagrams_in_total"};
}
inline Counter loop_drops(const harness::TestDaemon& d, const std::string& instance) {
    return {&d, instance, "datagrams_dropped_total", "loop"};
}

// One of the instances a loop runs through.
struct Instance {
    const harness::TestDaemon& daemon;
    std::string name;
};

// After one forged datagram: the `instances` took in at most `ceiling`
// datagrams, then fell silent, and counted at least one loop drop. Prints
// what it saw (and, for a loop, what it costs per second); the caller
// asserts the verdict.
inline bool fell_silent(const std::string& what, const std::vector<Instance>& instances,
                        long ceiling) {
    std::vector<Counter> in, looped;
    for (const Instance& i : instances) {
        in.push_back(taken_in(i.daemon, i.name));
        looped.push_back(loop_drops(i.daemon, i.name));
    }
    Settled s = settle(in, ceiling);
    long drops = sum(looped);
    printf("%s: %ld datagrams in after one forged one, %s; %ld dropped as loop\n", what.c_str(),
           s.total, s.silent ? "then silence" : "and counting", drops);
    if (!s.silent)
        printf("%s: %ld more datagrams in the next second\n", what.c_str(), per_second(in));
    fflush(stdout);
    return s.silent && s.total <= ceiling && drops >= 1;
}

}  // namespace udp_loop
