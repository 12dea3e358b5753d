#pragma once
// A stateful STAMP reflector's sessions (RFC 8762 4.2): one sequence counter
// per sender address, port and SSID, in a bounded table. The least recently
// seen session makes room for a new one when the table is full, and sessions
// idle longer than the timeout are dropped as traffic arrives.

#include <cstdint>
#include <list>
#include <unordered_map>

#include "address.h"
#include "service.h"
#include "stats.h"

namespace smalld {

class StampSessions final : public ServiceState {
  public:
    // The reflector's sequence number for the next packet of this session.
    uint32_t next_sequence(const SockAddr& peer, uint16_t ssid, int64_t now_ms, size_t capacity,
                           int64_t idle_ms, StampStats& stats);
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
        int64_t seen_ms = 0;
    };
    void forget_oldest();

    std::list<Session> recent_;  // most recently seen first
    std::unordered_map<Key, std::list<Session>::iterator, KeyHash> index_;
};

}  // namespace smalld
