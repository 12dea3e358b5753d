// SPDX-License-Identifier: BSD-2-Clause
#include "stamp_follow_up.h"

#include <netinet/in.h>

namespace smalld::stamp {

namespace {

uint64_t fnv1a(uint64_t h, const void* data, size_t size) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < size; ++i) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

}  // namespace

uint64_t FollowUpTable::key_of(const SockAddr& peer, uint16_t ssid) {
    uint64_t h = 0xcbf29ce484222325ULL;
    if (peer.family() == AF_INET) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(peer.get());
        h = fnv1a(h, &sin->sin_addr, sizeof sin->sin_addr);
        h = fnv1a(h, &sin->sin_port, sizeof sin->sin_port);
    } else if (peer.family() == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(peer.get());
        h = fnv1a(h, &sin6->sin6_addr, sizeof sin6->sin6_addr);
        h = fnv1a(h, &sin6->sin6_port, sizeof sin6->sin6_port);
    }
    h = fnv1a(h, &ssid, sizeof ssid);
    return h ? h : 1;
}

bool FollowUpTable::previous(uint64_t key, FollowUpTelemetry& out) const {
    const Entry& e = entries_[key % kSlots];
    if (e.key != key) return false;
    out = e.reply;
    return true;
}

uint64_t FollowUpTable::replying(uint64_t key, uint32_t sequence) {
    size_t slot = key % kSlots;
    Entry& e = entries_[slot];
    e.key = key;
    e.reply = {sequence, 0, TimestampMethod::Unknown};
    ++e.generation;
    return uint64_t(e.generation) << 32 | (slot + 1);
}

void FollowUpTable::transmitted(uint64_t ticket, uint64_t timestamp, TimestampMethod method) {
    size_t slot = (ticket & 0xffffffff) - 1;
    if (slot >= kSlots) return;
    Entry& e = entries_[slot];
    if (e.generation != uint32_t(ticket >> 32)) return;
    e.reply.timestamp = timestamp;
    e.reply.method = method;
}

}  // namespace smalld::stamp
