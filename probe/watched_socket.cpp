// SPDX-License-Identifier: BSD-2-Clause
#include "watched_socket.h"

#include <cerrno>

namespace smallprobe {

bool WatchedSocket::create(int type) {
    close();
    ++run_.result().attempted;
    fd_ = open_socket(run_.target().family(), type);
    if (fd_ >= 0) return true;
    run_.connection_error(errno);
    return false;
}

bool WatchedSocket::connect_to_target() {
    if (int err = start_connect(fd_, run_.target())) {
        fail(err);
        return false;
    }
    return true;
}

bool WatchedSocket::finish_connect() {
    if (int err = socket_error(fd_)) {
        fail(err);
        return false;
    }
    return true;
}

}  // namespace smallprobe
