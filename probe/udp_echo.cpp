// SPDX-License-Identifier: BSD-2-Clause
// UDP echo, closed loop (open loop is udp_open_loop.cpp): each flow is its own connected
// socket with -P datagrams in flight. A datagram carries its sequence number in the first 8 bytes
// and the flow's pattern after it, so replies can be matched, timed and verified even when some are
// lost or arrive after their timeout. A datagram unanswered for the resend timeout (a tenth of -w)
// is replaced by a new one, so a loss costs the flow that long and never stalls it; if its reply
// comes after all, it is received late, not lost.

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "clock.h"
#include "datagram_ledger.h"
#include "modes.h"
#include "pattern.h"
#include "udp_flow.h"
#include "udp_wire.h"
#include "watched_socket.h"

namespace smallprobe {
namespace {

struct Slot {
    uint64_t seq = 0;
    uint64_t sent_at = 0;
    bool outstanding = false;
};

class UdpFlow final : public PollHandler {
  public:
    UdpFlow(Run& run, const StreamSource& source, uint8_t* buffer, uint32_t id)
        : run_(run), stream_(ConnectionStream::of(id, source)), buffer_(buffer) {
        slots_.resize(run.options().depth);
        // This flow's share of -n, when known; otherwise it grows as it goes.
        const Options& o = run.options();
        if (o.count) ledger_.reserve(o.count / o.connections + o.depth);
    }
    bool open(uint64_t now);
    void on_event(uint32_t events, uint64_t now) override;
    void expire(uint64_t now);
    // No slot waits for its datagram: with -n reached, the flow is done.
    bool idle() const;
    void stop_sending() { sending_ = false; }
    const DatagramLedger& ledger() const { return ledger_; }

  private:
    void send_slot(size_t index, uint64_t seq, uint64_t now);
    void on_datagram(size_t len, uint64_t now);

    Run& run_;
    const ConnectionStream stream_;
    uint8_t* buffer_;
    WatchedSocket socket_{run_};
    bool answered_ = false;
    bool sending_ = true;
    std::vector<Slot> slots_;
    DatagramLedger ledger_;
};

bool UdpFlow::open(uint64_t now) {
    if (!socket_.open(SOCK_DGRAM)) return false;
    run_.watch(socket_.fd(), EPOLLIN, this);
    for (size_t i = 0; i < slots_.size(); ++i) send_slot(i, i, now);
    return true;
}

void UdpFlow::send_slot(size_t index, uint64_t seq, uint64_t now) {
    Slot& slot = slots_[index];
    slot.outstanding = false;
    Result& result = run_.result();
    // -n counts datagrams sent, each then answered or lost.
    if (!sending_ || (run_.options().count && result.sent >= run_.options().count)) return;
    slot.seq = seq;
    slot.sent_at = now;
    slot.outstanding = true;
    ledger_.sent(seq);
    ++result.sent;
    // A failed send is left to time out and count as a loss: on UDP that is
    // what it is. Refusals come back through recv() as ECONNREFUSED.
    ssize_t n =
        send_udp_echo(socket_.fd(), seq, udp_payload_for(stream_, seq), run_.options().size);
    if (n > 0) result.bytes_sent += static_cast<uint64_t>(n);
}

void UdpFlow::on_event(uint32_t, uint64_t now) {
    read_datagrams(run_, socket_.fd(), buffer_, [&](size_t len) { on_datagram(len, now); });
}

void UdpFlow::on_datagram(size_t len, uint64_t now) {
    const std::optional<EchoReply> echo =
        checked_echo(run_, ledger_, stream_, buffer_, len, &answered_);
    if (!echo) return;
    Result& result = run_.result();
    if (echo->reply == DatagramLedger::Reply::Late) {
        ++result.late;  // its slot gave up on it and moved on
        return;
    }
    const size_t index = echo->seq % slots_.size();
    Slot& slot = slots_[index];
    slot.outstanding = false;
    if (run_.finished(now)) return;
    result.latency.record(now - slot.sent_at);
    ++result.ops;
    send_slot(index, echo->seq + slots_.size(), now);
}

void UdpFlow::expire(uint64_t now) {
    const uint64_t resend_after = resend_timeout_ns(run_.options());
    for (size_t i = 0; i < slots_.size(); ++i) {
        Slot& slot = slots_[i];
        if (!slot.outstanding || now - slot.sent_at <= resend_after) continue;
        ledger_.gave_up(slot.seq);
        send_slot(i, slot.seq + slots_.size(), now);
    }
}

bool UdpFlow::idle() const {
    for (const Slot& slot : slots_)
        if (slot.outstanding) return false;
    return true;
}

}  // namespace

void run_udp_echo(Run& run) {
    if (run.options().rate) {
        run_udp_echo_open_loop(run);
        return;
    }
    run_udp_flows<UdpFlow>(run);
}

}  // namespace smallprobe
