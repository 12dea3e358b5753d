// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Loss split by the reflector's own counts (RFC 8972 4.5 Direct Measurement
// TLV), pure; shared by smallprobe stamp (a run's packets at the end) and the
// daemon's stamp-sender (each packet as it is settled, in sending order).
// Between two replies a < b (by our sequence) of one reflector session, the
// packets b - a sent in (a, b] are: R_RX(b) - R_RX(a) received by the
// reflector, R_TX(b) - R_TX(a) of them answered, and those replies we
// received. So:
//   forward (network)        = (b - a) - (R_RX(b) - R_RX(a))
//   dropped by the reflector = (R_RX(b) - R_RX(a)) - (R_TX(b) - R_TX(a))
//   backward (network)       = (R_TX(b) - R_TX(a)) - replies received in (a, b]
// exactly, whatever the pattern inside. Unknown direction: packets lost
// before the first reply with counters and after the last one (no count
// says whether the reflector saw them), and those of an interval in which
// the reflector's session restarted (its R_RX, R_TX or sequence number did
// not grow, though b was received and answered: evicted from its table, or
// the reflector restarted), which is counted as a reset, or whose counts
// cannot be (more received than sent: packets reordered on the way out).
//
// Our own receive buffer: a reply the kernel dropped at the sender's socket
// (it was full) is not the path's loss, but the counts above would call it
// backward. The sender marks every packet whose reply was still due when
// the socket's drop count grew (exposed); of an interval's backward losses,
// as many as its lost packets were exposed are of unknown direction.
//
// A lost tail has no later reply to count it: smallprobe then sends closing
// packets (never counted as sent or lost) whose replies carry the
// reflector's counts after the tail. A closing packet that is itself lost is
// taken from its interval's class when all the interval's losses are of one
// class; otherwise that interval is of unknown direction. The daemon's
// sender has no tail: it ends the open interval (flush) when its peer is
// down, its losses then being of unknown direction.

#include <cstdint>
#include <span>

namespace smalld::stamp {

// One packet sent, as the split sees it.
struct LossSample {
    bool received = false;
    bool counted = false;  // the reply carried the reflector's counts
    bool closing = false;  // smallprobe's closing packet: never sent nor lost
    uint32_t reflector_rx = 0, reflector_tx = 0, reflector_seq = 0;
    bool exposed = false;  // due while the sender's socket dropped datagrams
};

struct LossSplit {
    bool counted = false;  // at least one reply carried the counters
    uint64_t forward = 0, reflector = 0, backward = 0, unknown = 0, resets = 0;
    uint64_t lost() const { return forward + reflector + backward + unknown; }
};

// The split, a packet at a time in sending order.
class LossSplitter {
  public:
    void add(const LossSample& p);
    // Ends the open interval: its losses are of unknown direction, and the
    // next reply with counters starts afresh.
    void flush();
    const LossSplit& split() const { return split_; }
    // Losses not attributed yet (since the last reply with counters).
    uint64_t pending() const { return lost_since_ - closing_lost_; }

  private:
    LossSplit split_;
    LossSample previous_;
    bool has_previous_ = false;
    uint64_t since_previous_ = 0;  // packets added since the previous count
    uint64_t lost_since_ = 0;      // lost since the previous reply with counters
    uint64_t closing_lost_ = 0;    // of them, closing packets: no loss of the run
    uint64_t exposed_lost_ = 0;    // of them, exposed to our own socket's drops
};

// The whole run at once: `samples` in sending order, closing packets last.
LossSplit split_loss(std::span<const LossSample> samples);

}  // namespace smalld::stamp
