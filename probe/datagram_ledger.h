// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// One UDP flow's datagrams by sequence number (from 0): which were sent,
// which were answered, and how each answer came. Pure, so the accounting
// every UDP mode prints (sent, received, lost, late, duplicates) is tested
// without sockets. Each datagram is counted once: sent = received + lost,
// whatever order the replies come in and however often.

#include <cstdint>
#include <vector>

namespace smallprobe {

class DatagramLedger {
  public:
    enum class Reply {
        InTime,     // the first answer, while the flow still waited for it
        Late,       // the first answer, after the flow gave up and sent another
        Duplicate,  // another answer to a datagram already answered
        Unsent,     // a sequence number this flow never sent
    };

    // Room for this many sequence numbers without growing.
    void reserve(uint64_t datagrams);
    // The datagram `seq` left (or was handed to the kernel and refused: on
    // UDP that is a loss too). Sending the same number twice counts it once.
    void sent(uint64_t seq);
    // The closed loop stopped waiting for `seq` and sent another in its
    // place; a reply that comes later is Late, still received, not lost.
    void gave_up(uint64_t seq);
    // A reply to `seq` arrived: what it is, counted.
    Reply reply(uint64_t seq);

    uint64_t sent_count() const { return sent_; }
    uint64_t received() const { return received_; }
    uint64_t late() const { return late_; }
    uint64_t duplicates() const { return duplicates_; }
    uint64_t lost() const { return sent_ - received_; }
    // Every datagram sent has been answered: nothing is left to wait for.
    bool settled() const { return received_ == sent_; }

  private:
    static bool test(const std::vector<uint64_t>& bits, uint64_t seq) {
        return seq / 64 < bits.size() && (bits[seq / 64] >> (seq % 64)) & 1u;
    }
    static void set(std::vector<uint64_t>* bits, uint64_t seq);

    std::vector<uint64_t> sent_bits_, answered_bits_, given_up_bits_;
    uint64_t sent_ = 0, received_ = 0, late_ = 0, duplicates_ = 0;
};

// Loss as a percentage of what was sent (0 when nothing was).
double loss_percent(uint64_t sent, uint64_t lost);
// --max-loss PCT: true when the loss is above it. A negative limit is none.
bool loss_exceeds(uint64_t sent, uint64_t lost, double max_loss_pct);

}  // namespace smallprobe
