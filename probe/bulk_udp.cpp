// UDP discard and chargen. discard flows send datagrams as fast as the socket
// takes them (the server's side is invisible, so this measures what was
// offered). chargen flows ask with one datagram at a time and check that each
// reply is printable: RFC 864 lines do not span UDP datagrams.

#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "clock.h"
#include "modes.h"
#include "pattern.h"

namespace smallprobe {
namespace {

constexpr int kMaxBurst = 64;

class UdpBulkFlow final : public PollHandler {
  public:
    UdpBulkFlow(Run& run, const StreamSource& source, uint8_t* buffer, uint32_t id)
        : run_(run),
          source_(source),
          buffer_(buffer),
          stream_start_(stream_start_for(id, source)),
          sending_(run.options().mode == Mode::Discard) {}
    ~UdpBulkFlow() {
        if (fd_ >= 0) close(fd_);
    }

    bool open(uint64_t now);
    void on_event(uint32_t events, uint64_t now) override;
    void expire(uint64_t now);

  private:
    void ask(uint64_t now);

    Run& run_;
    const StreamSource& source_;
    uint8_t* buffer_;
    uint64_t stream_start_;
    bool sending_;
    int fd_ = -1;
    bool answered_ = false;
    uint64_t asked_at_ = 0;
    uint64_t sent_ = 0;
};

bool UdpBulkFlow::open(uint64_t now) {
    ++run_.result().attempted;
    fd_ = open_socket(run_.target().family(), SOCK_DGRAM);
    if (fd_ < 0 || connect(fd_, run_.target().get(), run_.target().len) != 0) {
        run_.connection_error(errno);
        return false;
    }
    if (sending_) {
        // Nothing comes back from discard; sending succeeded is all we know.
        ++run_.result().connected;
        run_.watch(fd_, EPOLLOUT, this);
    } else {
        run_.watch(fd_, EPOLLIN, this);
        ask(now);
    }
    return true;
}

void UdpBulkFlow::ask(uint64_t now) {
    asked_at_ = now;
    const size_t size = run_.options().size;
    ssize_t n = send(fd_, source_.at(stream_start_), size, 0);
    if (n > 0) run_.result().bytes_sent += static_cast<uint64_t>(n);
}

void UdpBulkFlow::on_event(uint32_t, uint64_t now) {
    if (run_.finished(now)) return;
    Result& result = run_.result();
    const size_t size = run_.options().size;
    for (int i = 0; i < kMaxBurst; ++i) {
        if (sending_) {
            ssize_t n = send(fd_, source_.at(stream_start_ + sent_), size, 0);
            if (n < 0) {
                if (errno != EAGAIN && errno != EINTR && errno != ENOBUFS)
                    run_.connection_error(errno);
                return;
            }
            sent_ += size;
            result.bytes_sent += static_cast<uint64_t>(n);
            ++result.ops;
            continue;
        }
        ssize_t n = recv(fd_, buffer_, 65536, 0);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) run_.connection_error(errno);
            return;
        }
        const auto len = static_cast<size_t>(n);
        result.bytes_received += len;
        if (!answered_) {
            answered_ = true;
            ++result.connected;
        }
        // RFC 864 allows 0 to 512 characters, so an empty datagram is fine.
        result.mismatched_bytes += count_unprintable(buffer_, len);
        result.latency.record(now - asked_at_);
        ++result.ops;
        ask(now);
    }
}

void UdpBulkFlow::expire(uint64_t now) {
    if (sending_ || now - asked_at_ <= run_.options().timeout_ns) return;
    ++run_.result().losses;
    ask(now);
}

}  // namespace

void run_bulk_udp(Run& run) {
    const StreamSource source = StreamSource::pattern();
    std::unique_ptr<uint8_t[]> buffer(new uint8_t[65536]);
    std::vector<std::unique_ptr<UdpBulkFlow>> flows;
    uint64_t now = now_ns();
    run.start(now);
    for (uint32_t i = 0; i < run.options().connections; ++i) {
        flows.push_back(std::make_unique<UdpBulkFlow>(run, source, buffer.get(), i));
        if (!flows.back()->open(now)) flows.pop_back();
    }
    uint64_t next_expiry_scan = now + 10 * kNsPerMs;
    while (!flows.empty() && !run.finished(now)) {
        now = run.poll_once(run.wait_budget_ms(now, 10));
        run.tick(now);
        if (now >= next_expiry_scan) {
            next_expiry_scan = now + 10 * kNsPerMs;
            for (auto& flow : flows) flow->expire(now);
        }
        if (run.result().connected == 0 && now - run.started() > run.options().timeout_ns) break;
    }
    run.stop(now);
}

}  // namespace smallprobe
