// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The STAMP Session-Sender's state for one peer, pure: no socket, no loop,
// the times passed in. It writes each test packet, keeps what it sent in a
// bounded ring (sequence, T1 as sent on the wire and as the kernel stamped
// it, size), and matches each reply to it: the SSID, the source port, the
// sequence number and the echoed T1, the size, and with a key the HMAC;
// nothing a reply says is taken on faith. A reply that does not match is
// dropped with its reason; a second copy is a duplicate, an earlier
// sequence after a later one is reordered. A packet not answered within
// the timeout is lost; packets are settled in sending order and their loss
// split by direction from the reflector's counts (loss_split.h).

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "loss_split.h"
#include "stamp_packet.h"

namespace smalld::stamp {

// Why a reply was dropped (smalld_stamp_sender_replies_dropped_total's
// reason label). NotAPeer is decided by the caller, which knows the peers;
// ReceiveBuffer counts what the kernel dropped at the sender's own socket
// (it was full), which no session sees.
enum class ReplyDrop : uint8_t {
    NotAPeer,
    WrongSsid,
    WrongPort,
    NeverSent,
    Replay,
    TooFarAhead,
    Truncated,
    Malformed,
    Auth,
    ReceiveBuffer,
};
inline constexpr size_t kReplyDropReasons = 10;
const char* to_string(ReplyDrop reason);

struct SenderSettings {
    uint16_t ssid = 1;
    std::span<const uint8_t> key{};  // not empty: authenticated (RFC 8762 4.3)
    int64_t interval_ns = 1'000'000'000;
    int64_t timeout_ns = 3'000'000'000;
    TimestampFormat format = TimestampFormat::Ntp;
    uint16_t error_estimate = 0;  // our clock's (error_estimate())
};

// What one matched reply measured, in nanoseconds of CLOCK_REALTIME.
struct ReplySample {
    uint32_t seq = 0, size = 0;
    int64_t t1 = 0, t2 = 0, t3 = 0, t4 = 0;
    int forward_ttl = -1;          // as the reflector received our packet; -1 unknown
    double reflector_error_s = 0;  // its Error Estimate
    bool reflector_synchronized = false;
};

struct ReplyOutcome {
    enum Kind : uint8_t { Sample, Duplicate, Dropped } kind = Dropped;
    ReplyDrop drop = ReplyDrop::Malformed;  // when Dropped
    bool reordered = false;                 // when Sample
};

// The packets kept outstanding per peer, at most: a timeout's worth of
// intervals (and two more) must fit, or packets would be settled as lost
// before their timeout (the stamp-sender's check refuses such a pair).
inline constexpr size_t kMaxOutstanding = 4096;

class SenderSession {
  public:
    explicit SenderSession(const SenderSettings& settings);

    // The packet (`size` bytes, at least the base packet's) written into
    // `out` with T1 = t1_ns; it is outstanding from now on. Returns its
    // sequence number. Allocates nothing.
    uint32_t build(std::span<uint8_t> out, uint32_t size, int64_t t1_ns);
    // Packet `seq`, the last one built, never left (the kernel refused it):
    // it is taken back, so that it is neither sent nor lost, and the next
    // packet gets its sequence number (the reflector sees no gap). False
    // when `seq` is not the last one built.
    bool unsend(uint32_t seq);
    // The kernel's transmit time of packet `seq`, which replaces T1 when its
    // reply has not been taken yet.
    void transmitted(uint32_t seq, int64_t t1_ns);
    // A reply from the peer's address; `port_matches`: from its port too.
    // `t4_ns`: when it arrived. On Sample, *sample holds the figures.
    ReplyOutcome take(std::span<const uint8_t> reply, bool port_matches, int64_t t4_ns,
                      ReplySample* sample);
    // Whether `reply` carries this session's SSID (where its layout puts it):
    // how a reply is told apart among peers of one address and port.
    bool claims(std::span<const uint8_t> reply) const;
    // Settles, in sending order, the packets sent more than the timeout
    // before `now_ns`: a packet not answered by then is lost. Its direction
    // comes with the next reply that carries the reflector's counts; when
    // none has come an up horizon after it was settled (packets too small
    // for the Direct Measurement TLV, a reflector that does not count), or
    // the peer never answered, or has been down for twice the up horizon,
    // the open interval ends: its losses are of unknown direction.
    void expire(int64_t now_ns);
    // Whether expire(now_ns) would settle a packet not answered: a loss.
    bool settles_a_loss(int64_t now_ns) const;
    // The sender's socket dropped datagrams (the kernel's count grew): any
    // reply still due may have been one, so each packet outstanding and not
    // answered is exposed; lost, it is of unknown direction, not backward.
    void receive_overflow();

    // A reply within the last 3 intervals or the timeout, the longer.
    bool up(int64_t now_ns) const;
    int64_t up_horizon() const;
    uint64_t sent() const { return sent_; }
    uint64_t received() const { return received_; }
    uint64_t duplicates() const { return duplicates_; }
    uint64_t reordered() const { return reordered_; }
    const LossSplit& loss() const { return splitter_.split(); }
    // Packets sent whose fate is not counted yet: not answered and not
    // settled, or lost and waiting for the counts that split them.
    uint64_t in_flight() const;
    int64_t last_reply_ns() const { return last_reply_ns_; }
    uint16_t ssid() const { return settings_.ssid; }
    size_t capacity() const { return ring_.size(); }

  private:
    struct Slot {
        uint32_t seq = 0, size = 0;
        uint64_t t1_wire = 0;  // T1 as encoded in the packet
        int64_t t1 = 0;        // the send time: the kernel's when it came
        uint16_t copies = 0;
        bool live = false;
        LossSample loss;
    };
    Slot& slot(uint32_t seq) { return ring_[seq % ring_.size()]; }
    void settle_oldest();

    SenderSettings settings_;
    std::vector<uint8_t> key_;  // owned copy of settings_.key
    std::vector<Slot> ring_;
    uint32_t next_seq_ = 0, oldest_ = 0;  // outstanding: [oldest_, next_seq_)
    uint32_t highest_received_ = 0;
    bool any_received_ = false;
    uint64_t sent_ = 0, received_ = 0, duplicates_ = 0, reordered_ = 0;
    int64_t last_reply_ns_ = 0;
    int64_t pending_since_ns_ = 0;  // a loss waits for counts since then; 0: none
    LossSplitter splitter_;
};

}  // namespace smalld::stamp
