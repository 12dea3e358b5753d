// SPDX-License-Identifier: BSD-2-Clause
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
#include "udp_flow.h"
#include "watched_socket.h"

namespace smallprobe {
namespace {

constexpr int kMaxBurst = 64;

class UdpBulkFlow final : public PollHandler {
  public:
    UdpBulkFlow(Run& run, const StreamSource& source, uint8_t* buffer, uint32_t id)
        : run_(run),
          stream_(ConnectionStream::of(id, source)),
          buffer_(buffer),
          sending_(run.options().mode == Mode::Discard) {}
    bool open(uint64_t now);
    void on_event(uint32_t events, uint64_t now) override;
    void expire(uint64_t now);

  private:
    void ask(uint64_t now);

    Run& run_;
    const ConnectionStream stream_;
    uint8_t* buffer_;
    bool sending_;
    WatchedSocket socket_{run_};
    bool answered_ = false;
    uint64_t asked_at_ = 0;
    uint64_t sent_ = 0;
};

bool UdpBulkFlow::open(uint64_t now) {
    if (!socket_.open(SOCK_DGRAM)) return false;
    if (sending_) {
        // Nothing comes back from discard; sending succeeded is all we know.
        ++run_.result().connected;
        run_.watch(socket_.fd(), EPOLLOUT, this);
    } else {
        run_.watch(socket_.fd(), EPOLLIN, this);
        ask(now);
    }
    return true;
}

void UdpBulkFlow::ask(uint64_t now) {
    asked_at_ = now;
    const size_t size = run_.options().size;
    ssize_t n = send(socket_.fd(), stream_.at(0), size, 0);
    if (n > 0) run_.result().bytes_sent += static_cast<uint64_t>(n);
}

void UdpBulkFlow::on_event(uint32_t, uint64_t now) {
    if (run_.finished(now)) return;
    Result& result = run_.result();
    const size_t size = run_.options().size;
    for (int i = 0; i < kMaxBurst; ++i) {
        if (sending_) {
            ssize_t n = send(socket_.fd(), stream_.at(sent_), size, 0);
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
        ssize_t n = recv(socket_.fd(), buffer_, kMaxDatagram, 0);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) run_.connection_error(errno);
            return;
        }
        const auto len = static_cast<size_t>(n);
        result.bytes_received += len;
        note_answer(run_, &answered_);
        // RFC 864 allows 0 to 512 characters, so an empty datagram is fine.
        result.mismatched_bytes += count_unprintable(buffer_, len);
        result.latency.record(now - asked_at_);
        ++result.ops;
        ask(now);
    }
}

// chargen's replies carry no sequence number, so a request is given all of
// -w before it counts as lost and is asked again.
void UdpBulkFlow::expire(uint64_t now) {
    if (sending_ || now - asked_at_ <= run_.options().timeout_ns) return;
    ++run_.result().losses;
    ask(now);
}

}  // namespace

void run_bulk_udp(Run& run) {
    run_udp_flows<UdpBulkFlow>(run);
}

}  // namespace smallprobe
