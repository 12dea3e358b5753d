// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The loop guard's last layer, for every UDP service: a peer that keeps
// sending back what it was just sent, or the datagram it just sent again, is
// another reflector answering us (echo to a foreign echo, daytime to a
// foreign daytime, anything to a reflector on a port the other layers do not
// know). Per peer (address and port) the table remembers the last few
// datagrams answered, by a hash of the request and of the reply, and when
// each reply left. A datagram is a bounce when its hash is one of those, it
// arrived after that reply left (a burst sent before any reply is not) and
// within kWindowNs of it. After kRepeats bounces in a row the next is
// dropped; an answered datagram that is not a bounce starts the count again.
//
// Bounded memory: a fixed number of slots, allocated on first use and never
// again, indexed by a keyed hash of the peer (a peer that maps to a busy
// slot takes it over). Nothing is allocated per datagram.

#include <cstdint>
#include <memory>
#include <span>

#include "address.h"

namespace smalld {

// A cheap 64-bit hash of a payload (not cryptographic: a collision only
// makes two datagrams look alike to the bounce table).
uint64_t payload_hash(std::span<const uint8_t> bytes);

class BounceTable {
  public:
    static constexpr int64_t kWindowNs = 500'000'000;  // 500 ms
    static constexpr unsigned kRepeats = 4;            // bounces answered in a row
    static constexpr size_t kRemembered = 8;           // hashes kept per peer

    explicit BounceTable(size_t slots = 512) : slots_(slots) {}

    struct Check {
        bool bounce = false;  // it came back
        bool drop = false;    // ... once too often: a loop
    };
    // A datagram with this hash from `peer`, received at `arrival_ns`
    // (CLOCK_REALTIME, as the kernel stamps it).
    Check check(const SockAddr& peer, uint64_t hash, int64_t arrival_ns) const;
    // It was answered: `reply_hash` left at `sent_ns`. `bounce` is what
    // check() said of it.
    void answered(const SockAddr& peer, uint64_t hash, uint64_t reply_hash, bool bounce,
                  int64_t sent_ns);

  private:
    struct Key {
        uint64_t hi = 0, lo = 0;  // the address, IPv4 as ::ffff:a.b.c.d
        uint32_t port = 0;        // port | family << 16; 0 for an empty slot
        bool operator==(const Key&) const = default;
    };
    struct Slot {
        Key key;
        uint32_t repeats = 0;
        uint32_t next = 0;  // where the next hash goes
        uint32_t hashes[kRemembered] = {};
        int64_t sent_ns[kRemembered] = {};
    };
    static Key key_of(const SockAddr& peer);
    size_t index(const Key& key) const;

    size_t slots_;
    std::unique_ptr<Slot[]> table_;
    uint64_t seed_ = 0;
};

}  // namespace smalld
