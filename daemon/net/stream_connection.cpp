// SPDX-License-Identifier: BSD-2-Clause
#include "stream_connection.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace smalld {

namespace {
constexpr int kMaxSegments = 16;  // of the queue, per sendmsg
}  // namespace

StreamConnection::~StreamConnection() = default;

void StreamConnection::open(event_base* base, int fd, uint64_t id, event* reaper,
                            const char* where) {
    id_ = id;
    fd_.reset(fd);
    reaper_ = reaper;
    where_ = where;
    read_ev_.reset(event_new(base, fd, EV_READ | EV_PERSIST, on_read_cb, this));
    write_ev_.reset(event_new(base, fd, EV_WRITE | EV_PERSIST, on_write_cb, this));
    deadline_ev_.reset(evtimer_new(base, on_deadline_cb, this));
    event_add(read_ev_.get(), nullptr);
}

void StreamConnection::on_read_cb(evutil_socket_t, short, void* self) {
    auto* c = static_cast<StreamConnection*>(self);
    contain(
        c->where_, [&] { c->on_readable(); }, [&] { c->close("internal error"); });
}

void StreamConnection::on_write_cb(evutil_socket_t, short, void* self) {
    auto* c = static_cast<StreamConnection*>(self);
    contain(
        c->where_, [&] { c->on_writable(); }, [&] { c->close("internal error"); });
}

void StreamConnection::on_deadline_cb(evutil_socket_t, short, void* self) {
    auto* c = static_cast<StreamConnection*>(self);
    contain(
        c->where_, [&] { c->on_deadline(); }, [&] { c->close("internal error"); });
}

ssize_t StreamConnection::receive(char* buf, size_t len) {
    ssize_t n = recv(fd_.get(), buf, len, 0);
    if (n >= 0) return n;
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) close(strerror(errno));
    return -1;
}

void StreamConnection::append(std::string_view bytes) {
    out_.append(bytes.data(), bytes.size());
}

bool StreamConnection::flush() {
    while (!out_.empty()) {
        iovec parts[kMaxSegments];
        msghdr message{};
        message.msg_iov = parts;
        message.msg_iovlen = size_t(out_.peek(parts, kMaxSegments));
        ssize_t n = sendmsg(fd_.get(), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            out_.consume(size_t(n));
            sent_ += uint64_t(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
        close(n < 0 ? strerror(errno) : "send failed");
        return false;
    }
    return true;
}

void StreamConnection::reading(bool on) {
    if (on)
        event_add(read_ev_.get(), nullptr);
    else
        event_del(read_ev_.get());
}

void StreamConnection::writing(bool on) {
    if (on)
        event_add(write_ev_.get(), nullptr);
    else
        event_del(write_ev_.get());
}

void StreamConnection::arm(int64_t ms) {
    timeval limit{time_t(ms / 1000), suseconds_t((ms % 1000) * 1000)};
    event_add(deadline_ev_.get(), &limit);
}

void StreamConnection::disarm() {
    event_del(deadline_ev_.get());
}

void StreamConnection::close(const char* reason) {
    if (dead_) return;
    dead_ = true;
    on_close(reason);
    // Freed by the reaper: this may run inside the connection's own callback
    // or inside an event bus delivery.
    event_del(read_ev_.get());
    event_del(write_ev_.get());
    event_del(deadline_ev_.get());
    out_.clear();
    fd_.reset();
    if (reaper_) event_active(reaper_, 0, 0);
}

}  // namespace smalld
