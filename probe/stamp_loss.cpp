// SPDX-License-Identifier: BSD-2-Clause
#include "stamp_loss.h"

namespace smallprobe {

LossSplit split_loss(const std::vector<Probe>& probes) {
    LossSplit split;
    const Probe* previous = nullptr;
    size_t previous_index = 0;
    uint64_t lost_since = 0;  // lost since the previous reply with counters
    for (size_t i = 0; i < probes.size(); ++i) {
        const Probe& p = probes[i];
        if (!p.received) {
            ++lost_since;
            continue;
        }
        if (!p.counted) continue;  // answered without counters: no split here
        if (!previous) {
            split.counted = true;
            split.unknown += lost_since;  // before the first count
        } else {
            // b itself was received and answered: each count grew by one at
            // least, unless the session started again in between.
            bool reset = p.reflector_rx <= previous->reflector_rx ||
                         p.reflector_tx <= previous->reflector_tx ||
                         p.reflector_seq <= previous->reflector_seq;
            uint64_t sent = i - previous_index;
            uint64_t reached = uint64_t(p.reflector_rx) - previous->reflector_rx;
            uint64_t answered = uint64_t(p.reflector_tx) - previous->reflector_tx;
            uint64_t received = sent - lost_since;
            if (reset) {
                ++split.resets;
                split.unknown += lost_since;
            } else if (reached > sent || answered > reached || received > answered) {
                split.unknown += lost_since;
            } else {
                split.forward += sent - reached;
                split.reflector += reached - answered;
                split.backward += answered - received;
            }
        }
        previous = &p;
        previous_index = i;
        lost_since = 0;
    }
    split.unknown += lost_since;  // after the last count
    return split;
}

}  // namespace smallprobe
