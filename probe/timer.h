// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A one-shot timer on the monotonic clock with nanosecond resolution, as an
// fd for the epoll set: open-loop sends must leave on time, and epoll_wait's
// millisecond timeout is too coarse for that.

#include <sys/timerfd.h>
#include <unistd.h>

#include <cstdint>

#include "clock.h"

namespace smallprobe {

class DeadlineTimer {
  public:
    DeadlineTimer() : fd_(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {}
    ~DeadlineTimer() {
        if (fd_ >= 0) close(fd_);
    }
    DeadlineTimer(const DeadlineTimer&) = delete;
    DeadlineTimer& operator=(const DeadlineTimer&) = delete;

    int fd() const { return fd_; }

    // Fires once at `when_ns` (now_ns() time); UINT64_MAX disarms.
    void arm_at(uint64_t when_ns) {
        itimerspec when{};
        if (when_ns != UINT64_MAX) {
            when.it_value.tv_sec = static_cast<time_t>(when_ns / kNsPerSec);
            when.it_value.tv_nsec = static_cast<long>(when_ns % kNsPerSec);
            if (when.it_value.tv_sec == 0 && when.it_value.tv_nsec == 0) when.it_value.tv_nsec = 1;
        }
        timerfd_settime(fd_, TFD_TIMER_ABSTIME, &when, nullptr);
    }

    // Consumes the expiry so level-triggered epoll stops reporting it.
    void drain() {
        uint64_t expirations = 0;
        ssize_t ignored = read(fd_, &expirations, sizeof expirations);
        (void)ignored;
    }

  private:
    int fd_;
};

}  // namespace smallprobe
