// SPDX-License-Identifier: BSD-2-Clause
// One TCP connection per query (time, daytime, qotd, status): connect, read
// to EOF, check the reply, close, repeat, with -c queries in flight. Measures
// connections per second and the latency from connect() to EOF. Churn mode
// is the echo client that connects, sends -s bytes, reads them back and
// closes: the latency runs from connect() to the last byte back.

#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "clock.h"
#include "modes.h"
#include "net.h"
#include "pattern.h"
#include "watched_socket.h"

namespace smallprobe {
namespace {

constexpr size_t kReplyKeep = 4096;
constexpr size_t kQotdMax = 512;  // RFC 865: "should be limited to 512 characters"

// Why a complete reply is wrong for the service, or empty when it is fine.
std::string reply_problem(ReplyCheck check, const uint8_t* reply, size_t kept, uint64_t total) {
    switch (check) {
        case ReplyCheck::AnyBytes:
            return {};
        case ReplyCheck::Time:
            return total == 4 ? std::string()
                              : "time reply of " + std::to_string(total) + " bytes, expected 4";
        case ReplyCheck::Daytime:
            if (total == 0) return "empty daytime reply";
            if (count_unprintable(reply, kept)) return "daytime reply is not printable ASCII";
            return {};
        case ReplyCheck::Qotd:
            if (total == 0) return "empty quote";
            if (total > kQotdMax)
                return "quote of " + std::to_string(total) + " bytes, RFC 865 allows 512";
            return {};
        case ReplyCheck::Status:
            return total == 0 ? "empty status report" : std::string();
        case ReplyCheck::Echo:
            return {};  // checked byte by byte as it arrives
    }
    return {};
}

class QueryConn final : public PollHandler {
  public:
    QueryConn(Run& run, ConnectionStream stream) : run_(run), stream_(stream) {}

    void open(uint64_t now);
    void on_event(uint32_t events, uint64_t now) override;
    bool alive() const { return socket_.is_open() || retry_; }
    void retry(uint64_t now) {
        if (!retry_) return;
        retry_ = false;
        again(now);
    }
    bool overdue(uint64_t now) const {
        return socket_.is_open() && now - started_at_ > run_.options().timeout_ns;
    }
    void fail_timeout(uint64_t now) {
        // A server that accepted but never answered still counts as reached:
        // the exit status must say "errors", not "could not connect".
        sockaddr_storage peer{};
        socklen_t peer_len = sizeof peer;
        if (getpeername(socket_.fd(), reinterpret_cast<sockaddr*>(&peer), &peer_len) == 0)
            ++run_.result().connected;
        run_.timeout_error();
        socket_.close();
        again(now);
    }

  private:
    bool churn() const { return run_.options().check == ReplyCheck::Echo; }
    // Churn: sends what is left of the message once connected.
    void send_message(uint32_t events);
    // Churn: checks echoed bytes against what was sent; false on failure.
    bool check_echo(const uint8_t* got, size_t n);
    void finish(uint64_t now);
    void again(uint64_t now);
    void fail(int err) {
        socket_.fail(err);
        retry_ = may_retry();
    }
    // Retried from the periodic scan, not at once: an immediate retry of a
    // refused port or an exhausted port range would only spin. Before
    // anything has connected, a failure is final.
    bool may_retry() const { return run_.result().connected > 0; }

    Run& run_;
    const ConnectionStream stream_;
    uint64_t sent_ = 0;
    WatchedSocket socket_{run_};
    bool retry_ = false;
    uint64_t started_at_ = 0;
    uint64_t received_ = 0;
    size_t kept_ = 0;
    uint8_t reply_[kReplyKeep];
};

void QueryConn::open(uint64_t now) {
    started_at_ = now;
    received_ = 0;
    kept_ = 0;
    sent_ = 0;
    if (!socket_.open(SOCK_STREAM)) {
        retry_ = may_retry();
        return;
    }
    // EPOLLIN alone: data, EOF and a failed connect all wake us, which saves
    // switching the interest set after the handshake. Churn waits to be
    // connected before it sends.
    run_.watch(socket_.fd(), churn() ? EPOLLOUT : EPOLLIN | EPOLLRDHUP, this);
}

void QueryConn::send_message(uint32_t events) {
    const uint64_t size = run_.options().size;
    if (events & (EPOLLERR | EPOLLHUP)) {
        fail(socket_error(socket_.fd()));
        return;
    }
    ssize_t n = send(socket_.fd(), stream_.at(sent_), size - sent_, MSG_NOSIGNAL);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) fail(errno);
        return;
    }
    sent_ += static_cast<uint64_t>(n);
    if (sent_ == size) run_.rewatch(socket_.fd(), EPOLLIN | EPOLLRDHUP, this);
}

bool QueryConn::check_echo(const uint8_t* got, size_t n) {
    if (received_ + n > sent_) {
        run_.bad_reply("echo returned more bytes than were sent");
    } else if (count_mismatches(got, stream_.at(received_), n) != 0) {
        run_.bad_reply("echoed bytes differ from those sent");
    } else {
        return true;
    }
    socket_.close();
    retry_ = true;
    return false;
}

void QueryConn::on_event(uint32_t events, uint64_t now) {
    if (!socket_.is_open()) return;
    if (churn() && sent_ < run_.options().size) {
        send_message(events);
        return;
    }
    uint8_t scratch[4096];
    for (;;) {
        uint8_t* into = kept_ < kReplyKeep ? reply_ + kept_ : scratch;
        const size_t room = kept_ < kReplyKeep ? kReplyKeep - kept_ : sizeof scratch;
        ssize_t n = recv(socket_.fd(), into, room, 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            fail(errno);
            return;
        }
        if (n == 0) {
            if (churn()) {
                run_.unexpected_eof();
                socket_.close();
                retry_ = true;
                return;
            }
            finish(now);
            return;
        }
        if (churn() && !check_echo(into, static_cast<size_t>(n))) return;
        received_ += static_cast<uint64_t>(n);
        if (kept_ < kReplyKeep) kept_ += static_cast<size_t>(n);
        run_.result().bytes_received += static_cast<uint64_t>(n);
        if (churn() && received_ == sent_) {
            finish(now);
            return;
        }
    }
}

void QueryConn::finish(uint64_t now) {
    Result& result = run_.result();
    ++result.connected;
    socket_.close();
    if (run_.finished(now)) return;
    std::string problem = reply_problem(run_.options().check, reply_, kept_, received_);
    if (!problem.empty()) {
        run_.bad_reply(problem);
    } else {
        result.latency.record(now - started_at_);
        ++result.ops;
    }
    again(now);
}

void QueryConn::again(uint64_t now) {
    const Options& o = run_.options();
    if (run_.finished(now)) return;
    if (o.count && run_.result().attempted >= o.count) return;
    open(now);
}

}  // namespace

void run_connect(Run& run) {
    const StreamSource source = StreamSource::pattern();
    std::vector<std::unique_ptr<QueryConn>> conns;
    uint64_t now = now_ns();
    run.start(now);
    const uint64_t slots = run.options().count
                               ? std::min<uint64_t>(run.options().count, run.options().connections)
                               : run.options().connections;
    for (uint64_t i = 0; i < slots; ++i) {
        conns.push_back(std::make_unique<QueryConn>(
            run, ConnectionStream::of(static_cast<uint32_t>(i), source)));
        conns.back()->open(now);
    }
    run.until_done(now, 100, [&](uint64_t at) {
        size_t alive = 0;
        for (auto& c : conns) {
            if (c->overdue(at)) c->fail_timeout(at);
            c->retry(at);
            alive += c->alive();
        }
        return alive > 0;
    });
}

}  // namespace smallprobe
