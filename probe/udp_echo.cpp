// UDP echo, closed loop (open loop is udp_open_loop.cpp): each flow is its own connected
// socket with -P datagrams in flight. A datagram carries its sequence number in the first 8 bytes
// and the flow's pattern after it, so replies can be matched, timed and verified even when some are
// lost or arrive after their timeout.

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "clock.h"
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
        : run_(run), source_(source), buffer_(buffer), stream_start_(stream_start_for(id, source)) {
        slots_.resize(run.options().depth);
    }
    bool open(uint64_t now);
    void on_event(uint32_t events, uint64_t now) override;
    void expire(uint64_t now);

  private:
    void send_slot(size_t index, uint64_t seq, uint64_t now);
    void on_datagram(size_t len, uint64_t now);
    const uint8_t* payload_for(uint64_t seq) const {
        return udp_payload_for(source_, stream_start_, seq);
    }

    Run& run_;
    const StreamSource& source_;
    uint8_t* buffer_;
    uint64_t stream_start_;
    WatchedSocket socket_{run_};
    bool answered_ = false;
    std::vector<Slot> slots_;
};

bool UdpFlow::open(uint64_t now) {
    if (!socket_.open(SOCK_DGRAM)) return false;
    run_.watch(socket_.fd(), EPOLLIN, this);
    for (size_t i = 0; i < slots_.size(); ++i) send_slot(i, i, now);
    return true;
}

void UdpFlow::send_slot(size_t index, uint64_t seq, uint64_t now) {
    Slot& slot = slots_[index];
    slot.seq = seq;
    slot.sent_at = now;
    slot.outstanding = true;
    if (run_.options().count && run_.result().ops + run_.result().losses >= run_.options().count) {
        slot.outstanding = false;  // -n reached: nothing more to send
        return;
    }
    // A failed send is left to time out and count as a loss: on UDP that is
    // what it is. Refusals come back through recv() as ECONNREFUSED.
    ssize_t n = send_udp_echo(socket_.fd(), seq, payload_for(seq), run_.options().size);
    if (n > 0) run_.result().bytes_sent += static_cast<uint64_t>(n);
}

void UdpFlow::on_event(uint32_t, uint64_t now) {
    read_datagrams(run_, socket_.fd(), buffer_, [&](size_t len) { on_datagram(len, now); });
}

void UdpFlow::on_datagram(size_t len, uint64_t now) {
    const std::optional<uint64_t> seq = echoed_seq(run_, buffer_, len);
    if (!seq) return;
    const size_t index = *seq % slots_.size();
    Slot& slot = slots_[index];
    Result& result = run_.result();
    if (!slot.outstanding || slot.seq != *seq) {
        ++result.late;  // its slot timed out and moved on
        return;
    }
    verify_echo(run_, buffer_, len, payload_for(*seq), &answered_);
    slot.outstanding = false;
    if (run_.finished(now)) return;
    result.latency.record(now - slot.sent_at);
    ++result.ops;
    send_slot(index, *seq + slots_.size(), now);
}

void UdpFlow::expire(uint64_t now) {
    for (size_t i = 0; i < slots_.size(); ++i) {
        Slot& slot = slots_[i];
        if (!slot.outstanding || now - slot.sent_at <= run_.options().timeout_ns) continue;
        ++run_.result().losses;
        send_slot(i, slot.seq + slots_.size(), now);
    }
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
