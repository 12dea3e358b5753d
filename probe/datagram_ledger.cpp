// SPDX-License-Identifier: BSD-2-Clause
#include "datagram_ledger.h"

namespace smallprobe {

void DatagramLedger::set(std::vector<uint64_t>* bits, uint64_t seq) {
    if (seq / 64 >= bits->size()) bits->resize(seq / 64 + 1, 0);
    (*bits)[seq / 64] |= uint64_t{1} << (seq % 64);
}

void DatagramLedger::reserve(uint64_t datagrams) {
    const uint64_t words = datagrams / 64 + 1;
    sent_bits_.reserve(words);
    answered_bits_.reserve(words);
    given_up_bits_.reserve(words);
}

void DatagramLedger::sent(uint64_t seq) {
    if (test(sent_bits_, seq)) return;
    set(&sent_bits_, seq);
    ++sent_;
}

void DatagramLedger::gave_up(uint64_t seq) {
    if (test(sent_bits_, seq) && !test(answered_bits_, seq)) set(&given_up_bits_, seq);
}

DatagramLedger::Reply DatagramLedger::reply(uint64_t seq) {
    if (!test(sent_bits_, seq)) return Reply::Unsent;
    if (test(answered_bits_, seq)) {
        ++duplicates_;
        return Reply::Duplicate;
    }
    set(&answered_bits_, seq);
    ++received_;
    if (test(given_up_bits_, seq)) {
        ++late_;
        return Reply::Late;
    }
    return Reply::InTime;
}

double loss_percent(uint64_t sent, uint64_t lost) {
    return sent ? 100.0 * static_cast<double>(lost) / static_cast<double>(sent) : 0.0;
}

bool loss_exceeds(uint64_t sent, uint64_t lost, double max_loss_pct) {
    return max_loss_pct >= 0 && loss_percent(sent, lost) > max_loss_pct;
}

}  // namespace smallprobe
