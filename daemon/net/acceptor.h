// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The one accept loop of every stream socket: the services' TCP listeners,
// the control socket and the HTTP endpoint. When the socket is readable it
// accepts up to `batch` connections (non-blocking, close-on-exec) and hands
// each to `admit`, which applies the endpoint's caps (total, per source, per
// uid: the caller's policy) and takes or closes the descriptor. Out of
// descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM), the connection
// waits in the backlog: accepting pauses for a second instead of spinning on
// a socket that stays readable, `exhausted` counts it, and the pause is
// logged through the endpoint's limiter. Any other error but the transient
// ones (EAGAIN, EINTR, ECONNABORTED) is logged and ends the batch. A throw
// out of `admit` is contained (contain.h): one connection's failure never
// ends the loop.

#include <functional>
#include <string>

#include "address.h"
#include "event_handle.h"

namespace smalld {

class LogLimiter;

class Acceptor {
  public:
    struct Params {
        // Names the endpoint in the log: "echo", "control", "metrics".
        std::string label;
        // Accepts per wakeup: how much one endpoint may take of a loop turn.
        int batch = 16;
        // The endpoint's accept-error lines, rate-limited across its sockets.
        LogLimiter* log = nullptr;
        // Whether `admit` needs the peer's address (not for AF_UNIX).
        bool want_peer = true;
    };
    using Admit = std::function<void(int fd, const SockAddr& peer)>;
    using Exhausted = std::function<void(int error)>;

    Acceptor() = default;
    ~Acceptor() = default;
    Acceptor(const Acceptor&) = delete;
    Acceptor& operator=(const Acceptor&) = delete;

    // Starts accepting on `fd` (which stays the caller's); `where` is the
    // address the log names.
    void start(event_base* base, int fd, std::string where, Params params, Admit admit,
               Exhausted exhausted = nullptr);
    // Stops accepting; the socket stays open.
    void stop();
    bool started() const { return ready_ != nullptr; }

  private:
    static void on_ready_cb(evutil_socket_t, short, void* self);
    static void on_resume_cb(evutil_socket_t, short, void* self);
    void accept_ready();

    int fd_ = -1;
    std::string where_;
    Params params_;
    Admit admit_;
    Exhausted exhausted_;
    std::string contain_as_;  // "LABEL accept", for contain()
    EventHandle ready_;
    EventHandle resume_;  // accept paused on EMFILE/ENFILE
};

}  // namespace smalld
