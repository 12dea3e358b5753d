// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A mode's socket to the target, with the one close path every connection
// and flow shares: a failure counts its errno, the socket leaves the poller
// and is closed once. The destructor closes whatever is still open.

#include <unistd.h>

#include "run.h"

namespace smallprobe {

class WatchedSocket {
  public:
    explicit WatchedSocket(Run& run) : run_(run) {}
    ~WatchedSocket() { close(); }
    WatchedSocket(const WatchedSocket&) = delete;
    WatchedSocket& operator=(const WatchedSocket&) = delete;

    int fd() const { return fd_; }
    bool is_open() const { return fd_ >= 0; }

    // Counts an attempt and makes a non-blocking socket of the target's
    // family (SOCK_STREAM or SOCK_DGRAM). False, with the error counted, when
    // the system has none to give.
    bool create(int type);
    // Starts connecting the created socket to the target: a TCP handshake in
    // progress, or a UDP socket bound to its peer. False, with the error
    // counted and the socket closed, when that fails at once.
    bool connect_to_target();
    // create() then connect_to_target().
    bool open(int type) { return create(type) && connect_to_target(); }
    // When the poller first reports a connecting TCP socket: true when the
    // handshake succeeded; else false, with its error counted and the socket
    // closed.
    bool finish_connect();

    // Counts err as a connection error and closes.
    void fail(int err) {
        run_.connection_error(err);
        close();
    }
    void close() {
        if (fd_ < 0) return;
        run_.unwatch(fd_);
        ::close(fd_);
        fd_ = -1;
    }

  private:
    Run& run_;
    int fd_ = -1;
};

}  // namespace smallprobe
