// SPDX-License-Identifier: BSD-2-Clause
#include "log_output.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace smalld::log::output {

namespace {

bool stuck = false;  // a wait ran out and no write has got through since

}  // namespace

void make_stderr_nonblocking() {
    static bool done = false;
    if (done) return;
    done = true;
    struct stat st;
    if (fstat(STDERR_FILENO, &st) == 0 && (S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode))) {
        int flags = fcntl(STDERR_FILENO, F_GETFL);
        if (flags >= 0) fcntl(STDERR_FILENO, F_SETFL, flags | O_NONBLOCK);
    }
}

bool wait_writable(int fd, Clock::time_point deadline) {
    if (stuck) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
        stuck = true;
        return false;
    }
    pollfd p{fd, POLLOUT, 0};
    poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 100)));
    return true;
}

size_t write_stderr_bounded(std::string_view text, Clock::time_point deadline) {
    make_stderr_nonblocking();
    size_t off = 0;
    while (off < text.size()) {
        ssize_t n = ::write(STDERR_FILENO, text.data() + off, text.size() - off);
        if (n > 0) {
            off += static_cast<size_t>(n);
            stuck = false;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN && wait_writable(STDERR_FILENO, deadline)) continue;
        // Stuck past the deadline, or stderr is gone: the rest is lost.
        return std::max<size_t>(1, size_t(std::count(text.begin() + off, text.end(), '\n')));
    }
    return 0;
}

}  // namespace smalld::log::output
