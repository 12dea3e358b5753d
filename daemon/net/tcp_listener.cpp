// SPDX-License-Identifier: BSD-2-Clause
#include "tcp_listener.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "contain.h"
#include "log.h"
#include "session.h"

namespace smalld {

namespace {
constexpr int kAcceptsPerWakeup = 64;
constexpr timeval kAcceptPause = {1, 0};
LogLimiter fd_log("accept paused", 5, std::chrono::seconds(10));
}  // namespace

TcpListener::TcpListener(ListenerContext& context, std::shared_ptr<Instance> instance,
                         const SockAddr& configured, Fd fd, Origin origin)
    : Listener(context, std::move(instance), Proto::Tcp, configured, std::move(fd), origin) {
    if (!actual_.is_wildcard()) local_ = &actual_;
}

void TcpListener::start(event_base* base) {
    watch(base, on_ready_cb);
    resume_.reset(event_new(base, -1, 0, on_resume_cb, this));
}

void TcpListener::stop() {
    Listener::stop();
    resume_.reset();
}

void TcpListener::set_instance(std::shared_ptr<Instance> instance) {
    if (origin_ == Origin::Config && instance->config.backlog != instance_->config.backlog)
        listen(fd_.get(), instance->config.backlog);  // Linux adjusts the backlog in place
    Listener::set_instance(std::move(instance));
}

void TcpListener::on_ready_cb(evutil_socket_t, short, void* self) {
    contain("accept", [&] { static_cast<TcpListener*>(self)->accept_ready(); });
}

void TcpListener::on_resume_cb(evutil_socket_t, short, void* self) {
    auto* listener = static_cast<TcpListener*>(self);
    if (listener->ready_) event_add(listener->ready_.get(), nullptr);
}

void TcpListener::reject(const SockAddr& peer, RejectReason reason) {
    instance_->stats->tcp.reject(reason);
    report(peer, to_string(reason));
}

void TcpListener::accept_ready() {
    for (int i = 0; i < kAcceptsPerWakeup; ++i) {
        SockAddr peer;
        peer.len = sizeof peer.storage;
        int fd = accept4(fd_.get(), peer.get(), &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            admit(fd, peer);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            // Out of descriptors: the connection waits in the backlog. Pause
            // instead of spinning on a socket that stays readable. Counted
            // once per failed accept, that is once per pause.
            instance_->stats->tcp.reject(RejectReason::Fd);
            fd_log.write(LogLevel::Warning, "%s: accept on %s: %s; pausing accept for 1s",
                         instance_->config.name.c_str(), actual_.to_string().c_str(),
                         strerror(errno));
            event_del(ready_.get());
            event_add(resume_.get(), &kAcceptPause);
        }
        return;  // EAGAIN and the rest
    }
}

void TcpListener::admit(int fd, const SockAddr& peer) {
    SessionTable& sessions = *context_.sessions;
    ConnectionDecision admission =
        admit_connection(instance_->config, instance_->state->admission,
                         {peer, sessions.size(), context_.max_connections, monotonic_ms()});
    if (!admission.admitted) {
        ::close(fd);
        reject(peer, admission.reason);
        return;
    }
    if (!sessions.open(instance_, fd, peer, local_)) {
        // No memory for the session itself: refused like a full table.
        ::close(fd);
        reject(peer, RejectReason::Limit);
    }
}

}  // namespace smalld
