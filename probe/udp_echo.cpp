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
#include "udp_wire.h"

namespace smallprobe {
namespace {

constexpr int kMaxReadsPerWakeup = 64;

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
    ~UdpFlow() {
        if (fd_ >= 0) close(fd_);
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
    int fd_ = -1;
    bool answered_ = false;
    std::vector<Slot> slots_;
};

bool UdpFlow::open(uint64_t now) {
    ++run_.result().attempted;
    fd_ = open_socket(run_.target().family(), SOCK_DGRAM);
    if (fd_ < 0 || connect(fd_, run_.target().get(), run_.target().len) != 0) {
        run_.connection_error(errno);
        return false;
    }
    run_.watch(fd_, EPOLLIN, this);
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
    ssize_t n = send_udp_echo(fd_, seq, payload_for(seq), run_.options().size);
    if (n > 0) run_.result().bytes_sent += static_cast<uint64_t>(n);
}

void UdpFlow::on_event(uint32_t, uint64_t now) {
    for (int i = 0; i < kMaxReadsPerWakeup; ++i) {
        ssize_t n = recv(fd_, buffer_, 65536, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            run_.connection_error(errno);
            return;
        }
        on_datagram(static_cast<size_t>(n), now);
    }
}

void UdpFlow::on_datagram(size_t len, uint64_t now) {
    Result& result = run_.result();
    result.bytes_received += len;
    if (len < kSeqBytes) {
        run_.bad_reply("datagram shorter than the 8-byte sequence number");
        return;
    }
    const uint64_t seq = udp_echo_seq(buffer_);
    const size_t index = seq % slots_.size();
    Slot& slot = slots_[index];
    if (!slot.outstanding || slot.seq != seq) {
        ++result.late;  // its slot timed out and moved on
        return;
    }
    const size_t size = run_.options().size;
    if (len != size) {
        run_.bad_reply("echoed datagram of " + std::to_string(len) + " bytes, sent " +
                       std::to_string(size));
    } else {
        result.mismatched_bytes +=
            count_mismatches(buffer_ + kSeqBytes, payload_for(seq), size - kSeqBytes);
    }
    if (!answered_) {
        answered_ = true;
        ++result.connected;
    }
    slot.outstanding = false;
    if (run_.finished(now)) return;
    result.latency.record(now - slot.sent_at);
    ++result.ops;
    send_slot(index, seq + slots_.size(), now);
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
    const StreamSource source = StreamSource::pattern();
    std::unique_ptr<uint8_t[]> buffer(new uint8_t[65536]);
    std::vector<std::unique_ptr<UdpFlow>> flows;
    uint64_t now = now_ns();
    run.start(now);
    for (uint32_t i = 0; i < run.options().connections; ++i) {
        flows.push_back(std::make_unique<UdpFlow>(run, source, buffer.get(), i));
        if (!flows.back()->open(now)) flows.pop_back();
    }
    if (flows.empty()) {
        run.stop(now);
        return;
    }
    uint64_t next_expiry_scan = now + 10 * kNsPerMs;
    while (!run.finished(now)) {
        now = run.poll_once(run.wait_budget_ms(now, 10));
        run.tick(now);
        if (now >= next_expiry_scan) {
            next_expiry_scan = now + 10 * kNsPerMs;
            for (auto& flow : flows) flow->expire(now);
        }
        // A server that never answers: stop after one timeout instead of
        // retrying for the whole run.
        if (run.result().connected == 0 && now - run.started() > run.options().timeout_ns) break;
    }
    run.stop(now);
}

}  // namespace smallprobe
