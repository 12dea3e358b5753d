// SPDX-License-Identifier: BSD-2-Clause
#include "loss_split.h"

#include <algorithm>

namespace smalld::stamp {

void LossSplitter::add(const LossSample& p) {
    ++since_previous_;
    if (!p.received) {
        ++lost_since_;
        closing_lost_ += p.closing;
        exposed_lost_ += p.exposed;
        return;
    }
    if (!p.counted) return;  // answered without counters: no split here
    uint64_t lost = lost_since_ - closing_lost_;
    if (!has_previous_) {
        split_.counted = true;
        split_.unknown += lost;  // before the first count
    } else {
        // p itself was received and answered: each count grew by one at
        // least, unless the session started again in between.
        bool reset = p.reflector_rx <= previous_.reflector_rx ||
                     p.reflector_tx <= previous_.reflector_tx ||
                     p.reflector_seq <= previous_.reflector_seq;
        uint64_t sent = since_previous_;
        uint64_t reached = uint64_t(p.reflector_rx) - previous_.reflector_rx;
        uint64_t answered = uint64_t(p.reflector_tx) - previous_.reflector_tx;
        uint64_t received = sent - lost_since_;
        if (reset) {
            ++split_.resets;
            split_.unknown += lost;
        } else if (reached > sent || answered > reached || received > answered) {
            split_.unknown += lost;
        } else {
            uint64_t forward = sent - reached, reflector = reached - answered,
                     backward = answered - received;
            // A lost closing packet is taken from its class when every loss
            // of the interval is of one class; else no class is sure.
            uint64_t* one_class = forward == lost_since_     ? &forward
                                  : reflector == lost_since_ ? &reflector
                                  : backward == lost_since_  ? &backward
                                                             : nullptr;
            if (closing_lost_ && !one_class) {
                split_.unknown += lost;
            } else {
                if (closing_lost_) *one_class -= closing_lost_;
                // Lost after the reflector answered, maybe in our own socket.
                uint64_t ours = std::min(backward, exposed_lost_);
                split_.forward += forward;
                split_.reflector += reflector;
                split_.backward += backward - ours;
                split_.unknown += ours;
            }
        }
    }
    previous_ = p;
    has_previous_ = true;
    since_previous_ = lost_since_ = closing_lost_ = exposed_lost_ = 0;
}

void LossSplitter::flush() {
    split_.unknown += lost_since_ - closing_lost_;
    has_previous_ = false;
    since_previous_ = lost_since_ = closing_lost_ = exposed_lost_ = 0;
}

LossSplit split_loss(std::span<const LossSample> samples) {
    LossSplitter splitter;
    for (const LossSample& s : samples) splitter.add(s);
    splitter.flush();  // after the last count
    return splitter.split();
}

}  // namespace smalld::stamp
