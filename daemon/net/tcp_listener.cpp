// SPDX-License-Identifier: BSD-2-Clause
#include "tcp_listener.h"

#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "session.h"

namespace smalld {

namespace {
constexpr int kAcceptsPerWakeup = 64;
LogLimiter fd_log("accept paused");
}  // namespace

TcpListener::TcpListener(ListenerContext& context, std::shared_ptr<Instance> instance,
                         const SockAddr& configured, Fd fd, Origin origin)
    : Listener(context, std::move(instance), Proto::Tcp, configured, std::move(fd), origin) {
    if (!actual_.is_wildcard()) local_ = &actual_;
}

void TcpListener::start(event_base* base) {
    // A failed accept, and the pause after it, is counted as reason fd.
    acceptor_.start(
        base, fd_.get(), actual_.to_string(), {instance_->config.name, kAcceptsPerWakeup, &fd_log},
        [this](int fd, const SockAddr& peer) { admit(fd, peer); },
        [this](int) { instance_->stats->tcp.reject(RejectReason::Fd); });
}

void TcpListener::stop() {
    Listener::stop();
    acceptor_.stop();
}

void TcpListener::set_instance(std::shared_ptr<Instance> instance) {
    if (origin_ == Origin::Config && instance->config.backlog != instance_->config.backlog)
        listen(fd_.get(), instance->config.backlog);  // Linux adjusts the backlog in place
    Listener::set_instance(std::move(instance));
}

void TcpListener::reject(const SockAddr& peer, RejectReason reason) {
    instance_->stats->tcp.reject(reason);
    report(peer, to_string(reason));
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
