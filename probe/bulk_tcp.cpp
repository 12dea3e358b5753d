// SPDX-License-Identifier: BSD-2-Clause
// TCP discard and chargen: bulk throughput. discard connections write the
// pattern as fast as the server takes it; chargen connections read as fast as
// the server writes and check every byte against RFC 864's rotating lines.

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

#include "clock.h"
#include "modes.h"
#include "pattern.h"
#include "watched_socket.h"

namespace smallprobe {
namespace {

class BulkConn final : public PollHandler {
  public:
    BulkConn(Run& run, const StreamSource& source, uint8_t* buffer, uint32_t id)
        : run_(run),
          stream_(ConnectionStream::of(id, source)),
          buffer_(buffer),
          sending_(run.options().mode == Mode::Discard),
          verifier_(run.options().strict_chargen) {}

    void open();
    void on_event(uint32_t events, uint64_t now) override;
    bool alive() const { return socket_.is_open(); }

  private:
    void on_writable();
    void on_readable();

    Run& run_;
    const ConnectionStream stream_;
    uint8_t* buffer_;
    bool sending_;
    ChargenVerifier verifier_;
    WatchedSocket socket_{run_};
    bool connected_ = false;
    uint64_t sent_ = 0;
};

void BulkConn::open() {
    if (!socket_.open(SOCK_STREAM)) return;
    run_.watch(socket_.fd(), EPOLLOUT, this);
}

void BulkConn::on_event(uint32_t events, uint64_t now) {
    if (!socket_.is_open() || run_.finished(now)) return;
    if (!connected_) {
        if (!socket_.finish_connect()) return;
        connected_ = true;
        ++run_.result().connected;
        run_.rewatch(socket_.fd(), sending_ ? EPOLLIN | EPOLLOUT : EPOLLIN, this);
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable();
    if (socket_.is_open() && (events & EPOLLOUT)) on_writable();
}

void BulkConn::on_writable() {
    const size_t size = static_cast<size_t>(run_.options().size);
    const size_t chunk = StreamSource::kMaxWindow - StreamSource::kMaxWindow % size;
    ssize_t n = send(socket_.fd(), stream_.at(sent_), chunk, MSG_NOSIGNAL);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) socket_.fail(errno);
        return;
    }
    sent_ += static_cast<uint64_t>(n);
    Result& result = run_.result();
    result.bytes_sent += static_cast<uint64_t>(n);
    result.ops = result.bytes_sent / size;
}

void BulkConn::on_readable() {
    ssize_t n = recv(socket_.fd(), buffer_, StreamSource::kMaxWindow, 0);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) socket_.fail(errno);
        return;
    }
    if (n == 0) {
        run_.unexpected_eof();
        socket_.close();
        return;
    }
    Result& result = run_.result();
    const auto len = static_cast<size_t>(n);
    result.bytes_received += len;
    if (sending_) {
        run_.bad_reply("the discard server sent data back");
        return;
    }
    const uint64_t before = verifier_.mismatched();
    const uint64_t lines_before = verifier_.lines();
    verifier_.feed(buffer_, len);
    result.mismatched_bytes += verifier_.mismatched() - before;
    result.ops += verifier_.lines() - lines_before;
}

}  // namespace

void run_bulk_tcp(Run& run) {
    const StreamSource source = StreamSource::pattern();
    std::unique_ptr<uint8_t[]> buffer(new uint8_t[StreamSource::kMaxWindow]);
    std::vector<std::unique_ptr<BulkConn>> conns;
    uint64_t now = now_ns();
    run.start(now);
    for (uint32_t i = 0; i < run.options().connections; ++i) {
        conns.push_back(std::make_unique<BulkConn>(run, source, buffer.get(), i));
        conns.back()->open();
    }
    run.until_done(now, 100, [&](uint64_t) {
        return std::any_of(conns.begin(), conns.end(), [](const auto& c) { return c->alive(); });
    });
}

}  // namespace smallprobe
