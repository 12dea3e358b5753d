// SPDX-License-Identifier: BSD-2-Clause
#include "session.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "contain.h"
#include "log.h"

namespace smalld {

namespace {
// Queue segments per sendmsg(): 64 chunks, 256 KiB, more than a loopback
// socket usually takes in one call.
constexpr int kMaxSegments = 64;
}  // namespace

constexpr size_t kIoBufferSize = IoBuffers::kSessionBufferSize;

Session::Session(SessionTable& table, uint64_t id, std::shared_ptr<Instance> instance, int fd,
                 const SockAddr& peer, const SockAddr* local)
    : table_(table),
      id_(id),
      instance_(std::move(instance)),
      fd_(fd),
      opened_ms_(monotonic_ms()),
      active_ms_(opened_ms_) {
    std::memcpy(&peer_, &peer.storage, std::min<size_t>(peer.len, sizeof peer_));
    if (local) std::memcpy(&local_, &local->storage, std::min<size_t>(local->len, sizeof local_));
    // event_assign() waits for update_event(): a one-shot reply never needs it.
}

Session::~Session() {
    if (armed_) event_del(&event_);
    ::close(fd_);
}

SockAddr Session::peer() const {
    return SockAddr::from(reinterpret_cast<const sockaddr*>(&peer_), peer_.sin6_family == AF_INET
                                                                         ? sizeof(sockaddr_in)
                                                                         : sizeof(sockaddr_in6));
}

SockAddr Session::local() const {
    if (local_.sin6_family != AF_UNSPEC)
        return SockAddr::from(
            reinterpret_cast<const sockaddr*>(&local_),
            local_.sin6_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
    SockAddr addr;
    addr.len = sizeof addr.storage;
    if (getsockname(fd_, addr.get(), &addr.len) != 0) addr.len = 0;
    return addr;
}

void Session::start() {
    Service& service = *instance_->service;
    switch (service.stream_mode()) {
        case StreamMode::Echo:
        case StreamMode::Discard:
            pause_reading(false);
            break;
        case StreamMode::Generate:
            pause_reading(false);  // to notice the peer leaving
            want_write(true);
            break;
        case StreamMode::Message: {
            WallTime now = wall_now();
            std::string message = service.message(now, peer());
            state_ = State::Flushing;
            // Straight from the message; only what the socket does not take
            // is queued (a status report larger than the send buffer).
            ssize_t n = send(fd_, message.data(), message.size(), MSG_NOSIGNAL);
            if (n < 0 && send_error("write error")) return;
            size_t sent = n > 0 ? static_cast<size_t>(n) : 0;
            bytes_out_ += sent;
            instance_->stats->tcp.bytes_written += sent;
            if (sent == message.size()) return message_done();
            enqueue(message.data() + sent, message.size() - sent);
            want_write(true);
            pause_reading(false);
            break;
        }
    }
}

void Session::pause_reading(bool pause) {
    reading_ = !pause;
    update_event();
}

void Session::want_write(bool want) {
    writing_ = want;
    update_event();
}

void Session::update_event() {
    short want = static_cast<short>((reading_ ? EV_READ : 0) | (writing_ ? EV_WRITE : 0));
    if (want == armed_) return;
    if (armed_) event_del(&event_);
    armed_ = want;
    if (!want) return;
    event_assign(&event_, table_.base(), fd_, static_cast<short>(want | EV_PERSIST), on_event_cb,
                 this);
    event_add(&event_, nullptr);
}

void Session::enqueue(const char* data, size_t len) {
    out_.append(data, len);
}

void Session::close(const char* reason) {
    table_.close(*this, reason);
}

bool Session::send_error(const char* what) {
    if (errno == EAGAIN || errno == EINTR) return false;
    if (errno == EPIPE || errno == ECONNRESET)
        close("reset by peer");
    else {
        char reason[128];
        snprintf(reason, sizeof reason, "%s: %s", what, strerror(errno));
        close(reason);
    }
    return true;
}

void Session::on_event_cb(evutil_socket_t, short what, void* self) {
    auto* session = static_cast<Session*>(self);
    SessionTable::Watch watch(session->table_, session);
    // A throw ends this session (if it still exists), not the daemon.
    contain(
        "session",
        [&] {
            if (what & EV_READ) {
                session->on_read();
                if (!(what & EV_WRITE) || watch.closed()) return;  // closed while reading
            }
            if (what & EV_WRITE) session->on_write();
        },
        [&] {
            if (!watch.closed()) session->close("internal error");
        });
}

void Session::on_read() {
    char* buf = table_.buffers().session_buffer();
    size_t room = kIoBufferSize;
    bool echoing = state_ == State::Open && instance_->service->stream_mode() == StreamMode::Echo;
    // Never read more than the queue has room for, even when it is empty
    // (what the peer does not take may all stay queued): a peer that sends
    // without reading stops being read at the high-water mark instead of
    // growing our memory.
    if (echoing)
        room = table_.high_water > queued() ? std::min(room, table_.high_water - queued()) : 0;
    if (room == 0) {
        pause_reading(true);
        return;
    }
    ssize_t n = recv(fd_, buf, room, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        if (errno == ECONNRESET) return close("reset by peer");
        char reason[128];
        snprintf(reason, sizeof reason, "read error: %s", strerror(errno));
        return close(reason);
    }
    if (n == 0) {
        // The peer is done sending. Whatever we still owe it goes out first.
        pause_reading(true);
        // A half-close is no reason to stop chargen's stream (as in BSD inetd):
        // it ends when a write fails or a timeout fires.
        if (instance_->service->stream_mode() == StreamMode::Generate && state_ == State::Open)
            return;
        if (queued() == 0 || state_ == State::Lingering) return close("closed by peer");
        state_ = State::Flushing;
        return;
    }
    active_ms_ = monotonic_ms();
    bytes_in_ += static_cast<size_t>(n);
    instance_->stats->tcp.bytes_read += static_cast<size_t>(n);
    if (echoing) echo(buf, static_cast<size_t>(n));
}

void Session::echo(const char* data, size_t len) {
    size_t sent = 0;
    if (queued() == 0) {
        ssize_t n = send(fd_, data, len, MSG_NOSIGNAL);
        if (n < 0 && send_error("write error")) return;
        sent = n > 0 ? static_cast<size_t>(n) : 0;
        bytes_out_ += sent;
        instance_->stats->tcp.bytes_written += sent;
        if (sent == len) return;
    }
    enqueue(data + sent, len - sent);
    want_write(true);
    if (queued() >= table_.high_water) pause_reading(true);
}

bool Session::flush_queue() {
    while (queued() > 0) {
        iovec parts[kMaxSegments];
        msghdr message{};
        message.msg_iov = parts;
        message.msg_iovlen = static_cast<size_t>(out_.peek(parts, kMaxSegments));
        size_t offered = 0;
        for (size_t i = 0; i < message.msg_iovlen; ++i) offered += parts[i].iov_len;
        ssize_t n = sendmsg(fd_, &message, MSG_NOSIGNAL);
        if (n < 0 && send_error("write error")) return false;
        size_t sent = n > 0 ? static_cast<size_t>(n) : 0;
        out_.consume(sent);
        bytes_out_ += sent;
        instance_->stats->tcp.bytes_written += sent;
        // The socket took less than offered: it is full, and the next try
        // would only say EAGAIN.
        if (sent < offered) {
            want_write(true);
            return true;
        }
    }
    // Drained: every chunk went back as it emptied; idle sessions hold none.
    want_write(false);
    if (state_ == State::Flushing) {
        message_done();
        return false;
    }
    if (!reading_) pause_reading(false);
    return true;
}

void Session::message_done() {
    // Close at once unless the peer sent something we have not read: closing
    // then would reset the connection and could destroy the reply in flight.
    ssize_t n = recv(fd_, table_.buffers().session_buffer(), kIoBufferSize, MSG_DONTWAIT);
    if (n == 0) return close("closed by peer");
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return close("done");
        return close(errno == ECONNRESET ? "reset by peer" : "read error");
    }
    shutdown(fd_, SHUT_WR);
    state_ = State::Lingering;
    active_ms_ = monotonic_ms();
    pause_reading(false);
}

void Session::generate() {
    char* buf = table_.buffers().session_buffer();
    instance_->service->generate(bytes_out_, {buf, kIoBufferSize});
    ssize_t n = send(fd_, buf, kIoBufferSize, MSG_NOSIGNAL);
    if (n < 0) {
        send_error("write error");
        return;
    }
    active_ms_ = monotonic_ms();
    bytes_out_ += static_cast<size_t>(n);
    instance_->stats->tcp.bytes_written += static_cast<size_t>(n);
}

void Session::on_write() {
    if (instance_->service->stream_mode() == StreamMode::Generate && state_ == State::Open) {
        generate();
        return;
    }
    if (queued() > 0) active_ms_ = monotonic_ms();
    flush_queue();
}

void Session::finish() {
    if (instance_->service->stream_mode() == StreamMode::Generate || queued() == 0)
        return close("shutdown");
    state_ = State::Flushing;
    pause_reading(true);
}

}  // namespace smalld
