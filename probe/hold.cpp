// SPDX-License-Identifier: BSD-2-Clause
// idle and slowread: open -c connections, hold them for the duration, report
// how many the server kept. slowread also writes into every connection and
// never reads the echo back, so a server that buffers without limit shows it
// in its RSS (sampled with --server-pid while the connections are held).

#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "clock.h"
#include "modes.h"
#include "pattern.h"
#include "procstat.h"
#include "watched_socket.h"

namespace smallprobe {
namespace {

constexpr uint32_t kMaxConnectsInFlight = 512;
// Stay clear of the ~28,000 ephemeral ports one source address has towards
// one destination; beyond that, the next 127.0.0.x takes over.
constexpr uint32_t kConnectionsPerSource = 25000;
constexpr uint64_t kFdReserve = 64;

bool is_ipv4_loopback(const Endpoint& e) {
    if (e.family() != AF_INET) return false;
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&e.storage);
    return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
}

class HeldConn final : public PollHandler {
  public:
    HeldConn(Run& run, const StreamSource& source, uint32_t id)
        : run_(run), source_(source), id_(id), filling_(run.options().mode == Mode::SlowRead) {}

    // Returns false when the socket could not even be created.
    bool open(uint64_t now);
    void on_event(uint32_t events, uint64_t now) override;
    bool connecting() const { return socket_.is_open() && !connected_; }
    bool held() const { return socket_.is_open() && connected_; }
    uint64_t opened_at() const { return opened_at_; }
    void fail_timeout() {
        run_.timeout_error();
        socket_.close();
    }

  private:
    bool bind_source();
    void fill();

    Run& run_;
    const StreamSource& source_;
    uint32_t id_;
    bool filling_;
    WatchedSocket socket_{run_};
    bool connected_ = false;
    uint64_t opened_at_ = 0;
    uint64_t sent_ = 0;
};

bool HeldConn::bind_source() {
    const uint32_t source_index = id_ / kConnectionsPerSource;
    if (source_index == 0 || !is_ipv4_loopback(run_.target())) return true;
    // Defer the port choice to connect(), which can reuse a port per
    // destination; bind() alone would reserve it for every destination.
    int one = 1;
    setsockopt(socket_.fd(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl((127u << 24) | (1u + source_index));
    return bind(socket_.fd(), reinterpret_cast<sockaddr*>(&local), sizeof local) == 0;
}

bool HeldConn::open(uint64_t now) {
    opened_at_ = now;
    if (!socket_.create(SOCK_STREAM)) return false;
    if (!bind_source()) {
        socket_.fail(errno);
        return true;
    }
    // Before connect, so the window the connection advertises is small too.
    if (uint32_t size = run_.options().rcvbuf) {
        if (setsockopt(socket_.fd(), SOL_SOCKET, SO_RCVBUF, &size, sizeof size) != 0) {
            socket_.fail(errno);
            return true;
        }
    }
    if (!socket_.connect_to_target()) return true;
    run_.watch(socket_.fd(), EPOLLOUT, this);
    return true;
}

void HeldConn::on_event(uint32_t events, uint64_t now) {
    if (!socket_.is_open()) return;
    if (!connected_) {
        if (!socket_.finish_connect()) return;
        connected_ = true;
        Result& result = run_.result();
        ++result.connected;
        result.latency.record(now - opened_at_);
        run_.rewatch(socket_.fd(), filling_ ? EPOLLRDHUP | EPOLLOUT : EPOLLRDHUP | EPOLLIN, this);
        if (filling_) fill();
        return;
    }
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        const int err = socket_error(socket_.fd());
        if (err) {
            socket_.fail(err);
        } else {
            run_.unexpected_eof();
            socket_.close();
        }
        return;
    }
    if (events & EPOLLIN) {
        uint8_t scratch[4096];
        ssize_t n = recv(socket_.fd(), scratch, sizeof scratch, 0);
        if (n > 0) run_.result().bytes_received += static_cast<uint64_t>(n);
    }
    if (events & EPOLLOUT) fill();
}

// Writes until the kernel says no; called again whenever the socket drains,
// which only happens if the server keeps reading.
void HeldConn::fill() {
    ssize_t n = send(socket_.fd(), source_.at(sent_), 65536, MSG_NOSIGNAL);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) socket_.fail(errno);
        return;
    }
    sent_ += static_cast<uint64_t>(n);
    run_.result().bytes_sent += static_cast<uint64_t>(n);
}

}  // namespace

void run_hold(Run& run) {
    const Options& o = run.options();
    Result& result = run.result();
    result.fd_limit = raise_fd_limit(o.connections + kFdReserve);
    const StreamSource source = StreamSource::pattern();
    std::vector<std::unique_ptr<HeldConn>> conns;
    conns.reserve(o.connections);
    uint64_t now = now_ns();

    // Open in bounded waves so a slow accept queue sees steady pressure, not
    // a SYN flood.
    size_t next = 0;
    uint64_t last_progress = now;
    while (!stop_requested()) {
        size_t connecting = 0;
        for (auto& c : conns) {
            if (c->connecting() && now - c->opened_at() > o.timeout_ns) c->fail_timeout();
            connecting += c->connecting();
        }
        while (next < o.connections && connecting < kMaxConnectsInFlight) {
            conns.push_back(std::make_unique<HeldConn>(run, source, static_cast<uint32_t>(next)));
            ++next;
            if (!conns.back()->open(now)) break;  // out of descriptors: stop opening
            ++connecting;
        }
        const bool exhausted = next >= o.connections || result.errors.other > 0;
        if (connecting == 0 && exhausted) break;
        const uint64_t established = result.connected;
        now = run.poll_once(10);
        if (result.connected != established) last_progress = now;
        if (now - last_progress > o.timeout_ns) break;
    }
    for (auto& c : conns)
        if (c->connecting()) c->fail_timeout();

    run.start(now);
    run.until_done(now, 200, [](uint64_t) { return true; });  // held for the duration
    result.held = static_cast<uint64_t>(
        std::count_if(conns.begin(), conns.end(), [](const auto& c) { return c->held(); }));
    result.ops = result.held;
    if (o.server_pid) result.server_rss_kb_held = process_rss_kb(o.server_pid).value_or(0);
}

}  // namespace smallprobe
