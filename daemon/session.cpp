#include "session.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "contain.h"
#include "log.h"

namespace smalld {

namespace {
// How long a session that sent its reply keeps discarding the peer's input
// before it closes anyway (closing with unread input would reset the peer and
// could destroy the reply in flight).
constexpr int64_t kLingerMs = 2000;
constexpr timeval kSweepInterval = {0, 250'000};
// Queue segments per sendmsg(): 64 chunks, 256 KiB, more than a loopback
// socket usually takes in one call.
constexpr int kMaxSegments = 64;
}  // namespace

char* io_buffer() {
    alignas(64) static char buffer[kIoBufferSize];
    return buffer;
}

Session::Session(SessionTable& table, uint64_t id, std::shared_ptr<Instance> instance, int fd,
                 const SockAddr& peer)
    : table_(table),
      id_(id),
      instance_(std::move(instance)),
      fd_(fd),
      opened_ms_(monotonic_ms()),
      active_ms_(opened_ms_) {
    std::memcpy(&peer_, &peer.storage, std::min<size_t>(peer.len, sizeof peer_));
    event_assign(&event_, table.base(), fd, EV_PERSIST, on_event_cb, this);
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
            std::string message = service.message(now);
            enqueue(message.data(), message.size());
            state_ = State::Flushing;
            if (flush_queue()) pause_reading(false);
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
    SessionTable& table = session->table_;
    uint64_t id = session->id_;
    // A throw ends this session (if it still exists), not the daemon.
    contain(
        "session",
        [&] {
            if (what & EV_READ) {
                session->on_read();
                if (!(what & EV_WRITE) || !table.contains(id)) return;  // closed while reading
            }
            if (what & EV_WRITE) session->on_write();
        },
        [&] {
            if (table.contains(id)) session->close("internal error");
        });
}

void Session::on_read() {
    char* buf = io_buffer();
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
    ssize_t n = recv(fd_, io_buffer(), kIoBufferSize, MSG_DONTWAIT);
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
    char* buf = io_buffer();
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

SessionTable::SessionTable(event_base* base, Stats& stats) : base_(base), stats_(stats) {
    sweeper_.reset(event_new(base, -1, EV_PERSIST, on_sweep_cb, this));
    event_add(sweeper_.get(), &kSweepInterval);
}

SessionTable::~SessionTable() {
    close_all("shutdown");
}

Session* SessionTable::open(std::shared_ptr<Instance> instance, int fd, const SockAddr& peer) {
    instance->state->admission.opened(source_key(peer));
    ++instance->stats->tcp.sessions_total;
    ++instance->stats->tcp.sessions_current;
    ++stats_.conn_accepted_total;
    ++stats_.conn_current;
    uint64_t id = next_id_++;
    auto session = std::make_unique<Session>(*this, id, std::move(instance), fd, peer);
    Session* raw = session.get();
    sessions_.emplace(id, std::move(session));
    if (on_open) on_open(*raw);
    raw->start();
    return sessions_.count(id) ? raw : nullptr;
}

void SessionTable::close(Session& session, const char* reason) {
    auto it = sessions_.find(session.id());
    if (it == sessions_.end()) return;
    std::unique_ptr<Session> owned = std::move(it->second);
    sessions_.erase(it);
    const Instance& instance = owned->instance();
    instance.state->admission.closed(owned->source());
    --instance.stats->tcp.sessions_current;
    --stats_.conn_current;
    instance.stats->session_duration.observe(double(monotonic_ms() - owned->opened_ms()) / 1000);
    if (on_close) on_close(*owned, reason);
}

bool SessionTable::kill(uint64_t id) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return false;
    close(*it->second, "killed by control command");
    return true;
}

void SessionTable::finish_all() {
    std::vector<Session*> all;
    for (auto& [id, s] : sessions_) all.push_back(s.get());
    for (Session* s : all) s->finish();
}

void SessionTable::close_all(const char* reason) {
    while (!sessions_.empty()) close(*sessions_.begin()->second, reason);
}

void SessionTable::on_sweep_cb(evutil_socket_t, short, void* self) {
    contain("session sweep", [&] { static_cast<SessionTable*>(self)->sweep(); });
}

void SessionTable::sweep() {
    chunk_pool_decay();
    int64_t now = monotonic_ms();
    std::vector<std::pair<Session*, const char*>> expired;
    for (auto& [id, s] : sessions_) {
        const InstanceConfig& config = s->instance().config;
        int64_t idle = config.idle_timeout.count(), max = config.max_duration.count();
        if (s->state() == Session::State::Lingering && now - s->active_ms() >= kLingerMs)
            expired.emplace_back(s.get(), "done");
        else if (max > 0 && now - s->opened_ms() >= max)
            expired.emplace_back(s.get(), "max_duration reached");
        else if (idle > 0 && now - s->active_ms() >= idle)
            expired.emplace_back(s.get(), "idle_timeout reached");
    }
    for (auto& [s, reason] : expired) close(*s, reason);
}

}  // namespace smalld
