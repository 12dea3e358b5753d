// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Loss split by the reflector's own counts (RFC 8972 4.5 Direct Measurement
// TLV), pure. Between two replies a < b (by our sequence) of one reflector
// session, the packets b - a sent in (a, b] are: R_RX(b) - R_RX(a) received
// by the reflector, R_TX(b) - R_TX(a) of them answered, and those replies we
// received. So:
//   forward (network)        = (b - a) - (R_RX(b) - R_RX(a))
//   dropped by the reflector = (R_RX(b) - R_RX(a)) - (R_TX(b) - R_TX(a))
//   backward (network)       = (R_TX(b) - R_TX(a)) - replies received in (a, b]
// exactly, whatever the pattern inside. Unknown direction: packets lost
// before the first reply with counters and after the last one (no count
// says whether the reflector saw them), and those of an interval in which
// the reflector's session restarted (its R_RX, R_TX or sequence number did
// not grow, though b was received and answered: evicted from its table, or
// the reflector restarted), which is
// counted as a reset, or whose counts cannot be (more received than sent:
// packets reordered on the way out).
//
// A lost tail has no later reply to count it: smallprobe then sends closing
// packets (`closing`, after `probes`, never counted as sent or lost) whose
// replies carry the reflector's counts after the tail. A closing packet that
// is itself lost is taken from its interval's class when all the interval's
// losses are of one class; otherwise that interval is of unknown direction.

#include <cstdint>
#include <vector>

#include "stamp.h"

namespace smallprobe {

struct LossSplit {
    bool counted = false;  // at least one reply carried the counters
    uint64_t forward = 0, reflector = 0, backward = 0, unknown = 0, resets = 0;
};

// `probes` in our sending order, then `closing` in theirs.
LossSplit split_loss(const std::vector<Probe>& probes, const std::vector<Probe>& closing = {});

}  // namespace smallprobe
