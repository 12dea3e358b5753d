// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// RAII owners for libevent objects: nobody frees one by hand.

#include <event2/event.h>

#include <cstdint>
#include <memory>

namespace smalld {

struct EventDeleter {
    void operator()(event* ev) const {
        event_del(ev);
        event_free(ev);
    }
};
using EventHandle = std::unique_ptr<event, EventDeleter>;

struct EventBaseDeleter {
    void operator()(event_base* base) const { event_base_free(base); }
};
using EventBaseHandle = std::unique_ptr<event_base, EventBaseDeleter>;

// `ns` nanoseconds (not negative) as event_add() takes a timeout.
inline timeval timeval_of_ns(int64_t ns) {
    return {time_t(ns / 1'000'000'000), suseconds_t(ns % 1'000'000'000 / 1000)};
}

// A file descriptor closed on destruction.
class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept {
        reset(other.release());
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }

    int get() const { return fd_; }
    explicit operator bool() const { return fd_ >= 0; }
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }
    void reset(int fd = -1);

  private:
    int fd_ = -1;
};

}  // namespace smalld
