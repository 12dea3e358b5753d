// SPDX-License-Identifier: BSD-2-Clause
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

namespace smallctl {

namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds left until `deadline`, at least 0.
int left_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() > 0 ? int(left.count()) : 0;
}

}  // namespace

Client::~Client() {
    if (fd_ >= 0) close(fd_);
}

int Client::connect_to(const std::string& path, int timeout_ms) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return ENAMETOOLONG;
    memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) return errno;
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return 0;
        int err = errno;
        if (err == EINTR) continue;
        if (err == EINPROGRESS) {
            pollfd p{fd_, POLLOUT, 0};
            int r;
            while ((r = poll(&p, 1, left_ms(deadline))) < 0 && errno == EINTR) {
            }
            if (r <= 0) return ETIMEDOUT;
            socklen_t len = sizeof err;
            if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
            return err;
        }
        // A Unix socket whose backlog is full says EAGAIN at once: someone
        // listens but does not accept (yet). Try again until the deadline.
        if (err != EAGAIN) return err;
        if (left_ms(deadline) == 0) return ETIMEDOUT;
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(20, left_ms(deadline))));
    }
}

bool Client::send_line(const std::string& line, int timeout_ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    std::string data = line + "\n";
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            pollfd p{fd_, POLLOUT, 0};
            if (left_ms(deadline) > 0 && poll(&p, 1, left_ms(deadline)) >= 0) continue;
            errno = ETIMEDOUT;
        }
        if (n <= 0) return false;
        off += size_t(n);
    }
    return true;
}

Client::Read Client::read_line(std::string* line, int timeout_ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        size_t nl = buffer_.find('\n', scanned_);
        if (nl != std::string::npos) {
            line->assign(buffer_, head_, nl - head_);
            head_ = scanned_ = nl + 1;
            // Drop what was read once it is most of the buffer: each byte
            // moves a bounded number of times.
            if (head_ > buffer_.size() / 2) {
                buffer_.erase(0, head_);
                head_ = scanned_ = 0;
            }
            return Read::Line;
        }
        if (head_ > 0) {  // make room at the front, once per read at most
            buffer_.erase(0, head_);
            head_ = 0;
        }
        scanned_ = buffer_.size();
        size_t room = kMaxReplyBytes - (buffer_.size() - head_);
        if (room == 0) return Read::TooLong;
        pollfd p{fd_, POLLIN, 0};
        int r = poll(&p, 1, left_ms(deadline));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            error_ = errno;
            return Read::Error;
        }
        if (r == 0) return Read::Timeout;
        char buf[65536];
        ssize_t n = recv(fd_, buf, std::min(sizeof buf, room), 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n < 0) {
            error_ = errno;
            return Read::Error;
        }
        if (n == 0) return Read::Closed;
        buffer_.append(buf, size_t(n));
    }
}

int report_connect_error(const std::string& path, int err) {
    const char* hint = err == ENOENT || err == ECONNREFUSED ? " (is smalld running?)"
                       : err == ETIMEDOUT ? " (it does not accept connections: is smalld stuck?)"
                                          : "";
    fprintf(stderr, "smallctl: cannot connect to %s: %s%s\n", path.c_str(), strerror(err), hint);
    if (err == ENOENT || err == ECONNREFUSED || err == ETIMEDOUT) return 3;
    if (err == EACCES || err == EPERM) return 4;
    return 1;
}

std::string describe(Client::Read result, int timeout_ms, const Client& client) {
    switch (result) {
        case Client::Read::Line:
            return "a reply";
        case Client::Read::Closed:
            return "smalld closed the connection";
        case Client::Read::Timeout:
            return "no reply from smalld within " + std::to_string(timeout_ms / 1000) + " s";
        case Client::Read::TooLong:
            return "the reply from smalld exceeds " + std::to_string(kMaxReplyBytes >> 20) +
                   " MiB without ending; not read further";
        case Client::Read::Error:
            return std::string("cannot read the reply: ") + strerror(client.error_);
    }
    return "?";
}

}  // namespace smallctl
