// SPDX-License-Identifier: BSD-2-Clause
#include "acceptor.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "contain.h"
#include "log.h"

namespace smalld {

namespace {
constexpr timeval kAcceptPause = {1, 0};
}  // namespace

void Acceptor::start(event_base* base, int fd, std::string where, Params params, Admit admit,
                     Exhausted exhausted) {
    fd_ = fd;
    where_ = std::move(where);
    params_ = std::move(params);
    admit_ = std::move(admit);
    exhausted_ = std::move(exhausted);
    contain_as_ = params_.label + " accept";
    ready_.reset(event_new(base, fd, EV_READ | EV_PERSIST, on_ready_cb, this));
    resume_.reset(evtimer_new(base, on_resume_cb, this));
    event_add(ready_.get(), nullptr);
}

void Acceptor::stop() {
    ready_.reset();
    resume_.reset();
}

void Acceptor::on_ready_cb(evutil_socket_t, short, void* self) {
    auto* acceptor = static_cast<Acceptor*>(self);
    contain(acceptor->contain_as_.c_str(), [&] { acceptor->accept_ready(); });
}

void Acceptor::on_resume_cb(evutil_socket_t, short, void* self) {
    auto* acceptor = static_cast<Acceptor*>(self);
    if (acceptor->ready_) event_add(acceptor->ready_.get(), nullptr);
}

void Acceptor::accept_ready() {
    for (int i = 0; i < params_.batch; ++i) {
        SockAddr peer;
        peer.len = sizeof peer.storage;
        int fd = params_.want_peer
                     ? accept4(fd_, peer.get(), &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC)
                     : accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            if (!params_.want_peer) peer.len = 0;
            admit_(fd, peer);
            continue;
        }
        int err = errno;
        if (err == EINTR || err == ECONNABORTED) continue;
        if (err == EAGAIN || err == EWOULDBLOCK) return;
        bool out_of_resources = err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
        if (params_.log)
            params_.log->write(LogLevel::Warning, "%s: accept on %s: %s%s", params_.label.c_str(),
                               where_.c_str(), strerror(err),
                               out_of_resources ? "; pausing accept for 1s" : "");
        if (out_of_resources) {
            // Out of descriptors: the connection waits in the backlog. Pause
            // instead of spinning on a socket that stays readable. Counted
            // once per failed accept, that is once per pause.
            if (exhausted_) exhausted_(err);
            event_del(ready_.get());
            event_add(resume_.get(), &kAcceptPause);
        }
        return;
    }
}

}  // namespace smalld
