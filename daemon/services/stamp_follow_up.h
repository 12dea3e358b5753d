// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The reflector's memory of each session's previous reply, for the
// Follow-Up Telemetry TLV (RFC 8972 4.7): its sequence number and, once the
// kernel has reported it, its real transmit time. A fixed table indexed by
// a hash of (peer, SSID); a session whose slot another took since its last
// reply is told "unknown" (zeros), never another session's time. Pure: no
// socket, no clock; the UDP endpoint hands the kernel's reports back by
// ticket.

#include <array>
#include <cstdint>

#include "address.h"
#include "stamp_timestamps.h"

namespace smalld::stamp {

class FollowUpTable {
  public:
    static constexpr size_t kSlots = 1024;

    // The session's identity; never 0.
    static uint64_t key_of(const SockAddr& peer, uint16_t ssid);

    // The session's previous reply; false when the table has none.
    bool previous(uint64_t key, FollowUpTelemetry& out) const;

    // A reply with `sequence` is about to leave: it becomes the session's
    // previous reply, its transmit time unknown. Returns the ticket for
    // transmitted() (never 0).
    uint64_t replying(uint64_t key, uint32_t sequence);

    // The kernel's report for the reply of `ticket`; ignored when the slot
    // has been reused since.
    void transmitted(uint64_t ticket, uint64_t timestamp, TimestampMethod method);

  private:
    struct Entry {
        uint64_t key = 0;  // 0: empty
        uint32_t generation = 0;
        FollowUpTelemetry reply;
    };
    std::array<Entry, kSlots> entries_{};
};

}  // namespace smalld::stamp
