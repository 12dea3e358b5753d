// SPDX-License-Identifier: BSD-2-Clause
#include "bounce_table.h"

#include <sys/random.h>

#include <cstring>

namespace smalld {

namespace {

constexpr uint64_t kMultiplier = 0x9E3779B97F4A7C15ULL;

uint64_t mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 33);
}

}  // namespace

uint64_t payload_hash(std::span<const uint8_t> bytes) {
    uint64_t h = bytes.size() * kMultiplier;
    size_t i = 0;
    for (; i + 8 <= bytes.size(); i += 8) {
        uint64_t word;
        std::memcpy(&word, bytes.data() + i, 8);
        h = (h ^ word) * kMultiplier;
        h ^= h >> 29;
    }
    uint64_t tail = 0;
    if (i < bytes.size()) std::memcpy(&tail, bytes.data() + i, bytes.size() - i);
    return mix(h ^ tail);
}

BounceTable::Key BounceTable::key_of(const SockAddr& peer) {
    Key k;
    if (peer.family() == AF_INET) {
        uint32_t a;
        std::memcpy(&a, &reinterpret_cast<const sockaddr_in*>(&peer.storage)->sin_addr, 4);
        k.lo = 0xffff00000000ULL | a;
    } else if (peer.family() == AF_INET6) {
        const auto* a = &reinterpret_cast<const sockaddr_in6*>(&peer.storage)->sin6_addr;
        std::memcpy(&k.hi, a, 8);
        std::memcpy(&k.lo, reinterpret_cast<const uint8_t*>(a) + 8, 8);
    }
    k.port = peer.port() | uint32_t(peer.family() == AF_INET6 ? 2 : 1) << 16;
    return k;
}

size_t BounceTable::index(const Key& key) const {
    return (mix(key.hi ^ seed_) ^ mix(key.lo + key.port + seed_)) % slots_;
}

BounceTable::Check BounceTable::check(const SockAddr& peer, uint64_t hash,
                                      int64_t arrival_ns) const {
    if (!table_) return {};
    Key key = key_of(peer);
    const Slot& s = table_[index(key)];
    if (!(s.key == key)) return {};
    auto h = static_cast<uint32_t>(hash);
    for (size_t i = 0; i < kRemembered; ++i) {
        int64_t since = arrival_ns - s.sent_ns[i];
        if (s.hashes[i] == h && s.sent_ns[i] != 0 && since > 0 && since <= kWindowNs)
            return {true, s.repeats >= kRepeats};
    }
    return {};
}

void BounceTable::answered(const SockAddr& peer, uint64_t hash, uint64_t reply_hash, bool bounce,
                           int64_t sent_ns) {
    if (!table_) {
        // Once, for the table's lifetime: never per datagram.
        table_ = std::make_unique<Slot[]>(slots_);
        if (getrandom(&seed_, sizeof seed_, GRND_NONBLOCK) != sizeof seed_)
            seed_ = uint64_t(sent_ns) * kMultiplier;
    }
    Key key = key_of(peer);
    Slot& s = table_[index(key)];
    if (!(s.key == key)) {
        s = Slot{};
        s.key = key;
    }
    s.repeats = bounce ? s.repeats + 1 : 0;
    auto remember = [&](uint32_t h) {
        for (size_t i = 0; i < kRemembered; ++i)
            if (s.hashes[i] == h && s.sent_ns[i] != 0) {
                s.sent_ns[i] = sent_ns;
                return;
            }
        s.hashes[s.next] = h;
        s.sent_ns[s.next] = sent_ns;
        s.next = (s.next + 1) % kRemembered;
    };
    remember(static_cast<uint32_t>(hash));
    if (static_cast<uint32_t>(reply_hash) != static_cast<uint32_t>(hash))
        remember(static_cast<uint32_t>(reply_hash));
}

}  // namespace smalld
