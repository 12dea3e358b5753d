// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A stateful STAMP reflector's sessions (RFC 8762 4.2): one sequence counter
// per sender address, port and SSID, in a bounded table. The least recently
// seen session makes room for a new one when the table is full, and sessions
// idle longer than the timeout are dropped as traffic arrives. Each session
// also counts the packets it received (dropped ones too, where the drop
// reports them) and the replies it sent, for the Direct Measurement TLV.

#include <cstdint>
#include <list>
#include <unordered_map>

#include "address.h"
#include "service.h"
#include "stats.h"

namespace smalld {

class StampSessions final : public ServiceState {
  public:
    struct Count {
        uint32_t sequence = 0;  // the reflector's sequence number of this reply
        uint32_t received = 0;  // packets of the session received, this one included
        uint32_t sent = 0;      // replies of the session, this one included
    };
    // A packet of this session that is answered: its sequence number and
    // the session's counts. A new session starts at 0.
    Count next_sequence(const SockAddr& peer, uint16_t ssid, int64_t now_ms, size_t capacity,
                        int64_t idle_ms, StampStats& stats);
    // A packet of this session received and then not answered (the rate
    // limit, the access list, a failed HMAC, the amplification cap): counted
    // as received when the session exists. It never makes a session, so a
    // dropped flood cannot evict the table.
    void count_dropped(const SockAddr& peer, uint16_t ssid);
    size_t size() const { return index_.size(); }

  private:
    struct Key {
        uint8_t address[16] = {};
        uint16_t port = 0;
        uint16_t ssid = 0;
        uint8_t family = 0;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const;
    };
    struct Session {
        Key key;
        uint32_t next = 0;
        uint32_t received = 0;
        int64_t seen_ms = 0;
    };
    void forget_oldest();
    static Key key_of(const SockAddr& peer, uint16_t ssid);

    std::list<Session> recent_;  // most recently seen first
    std::unordered_map<Key, std::list<Session>::iterator, KeyHash> index_;
};

}  // namespace smalld
