// SPDX-License-Identifier: BSD-2-Clause
#include "stamp_loss.h"

namespace smallprobe {

LossSplit split_loss(const std::vector<Probe>& probes, const std::vector<Probe>& closing) {
    LossSplit split;
    const Probe* previous = nullptr;
    size_t previous_index = 0;
    uint64_t lost_since = 0;    // lost since the previous reply with counters
    uint64_t closing_lost = 0;  // of them, closing packets: no loss of the run
    for (size_t i = 0; i < probes.size() + closing.size(); ++i) {
        bool is_closing = i >= probes.size();
        const Probe& p = is_closing ? closing[i - probes.size()] : probes[i];
        if (!p.received) {
            ++lost_since;
            closing_lost += is_closing;
            continue;
        }
        if (!p.counted) continue;  // answered without counters: no split here
        uint64_t lost = lost_since - closing_lost;
        if (!previous) {
            split.counted = true;
            split.unknown += lost;  // before the first count
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
                split.unknown += lost;
            } else if (reached > sent || answered > reached || received > answered) {
                split.unknown += lost;
            } else {
                uint64_t forward = sent - reached, reflector = reached - answered,
                         backward = answered - received;
                // A lost closing packet is taken from its class when every
                // loss of the interval is of one class; else no class is sure.
                uint64_t* one_class = forward == lost_since     ? &forward
                                      : reflector == lost_since ? &reflector
                                      : backward == lost_since  ? &backward
                                                                : nullptr;
                if (closing_lost && !one_class) {
                    split.unknown += lost;
                } else {
                    if (closing_lost) *one_class -= closing_lost;
                    split.forward += forward;
                    split.reflector += reflector;
                    split.backward += backward;
                }
            }
        }
        previous = &p;
        previous_index = i;
        lost_since = closing_lost = 0;
    }
    split.unknown += lost_since - closing_lost;  // after the last count
    return split;
}

}  // namespace smallprobe
