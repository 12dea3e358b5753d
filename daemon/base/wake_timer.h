// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A timer on its own timerfd in the loop, for a callback that fires many
// times a second beside services that answer packets. A libevent timer
// sets the loop's epoll_wait() timeout, so every sleep of the loop arms a
// near kernel timer and every wake-up for something else (a reflector's
// datagram) cancels it on its way in, inside the other service's
// processing time. (The mechanism is our reading; what was measured is
// that the reflector's p50 beside a 1,000-peer sender in the same process
// rose with the libevent timer and not with this one: bench/mesh_scale.)
// A timerfd's timer stays armed while the loop sleeps with the timeout the
// rest of the daemon needs, and fires at its nanosecond on CLOCK_MONOTONIC
// (libevent's coarse clock can fire a timer a few milliseconds early, and
// then the loop wakes again). Where no timerfd can be made (descriptors
// exhausted), it falls back to a libevent timer, set again when it fires
// early.

#include <cstdint>

#include "clock.h"
#include "event_handle.h"

namespace smalld {

class WakeTimer {
  public:
    using Fire = void (*)(void* arg);
    WakeTimer(event_base* base, Fire fire, void* arg);
    WakeTimer(const WakeTimer&) = delete;
    WakeTimer& operator=(const WakeTimer&) = delete;

    // Fires once at `monotonic_ns` (CLOCK_MONOTONIC; now if that has
    // passed), instead of any time set before.
    void at(int64_t monotonic_ns);
    void cancel();
    bool on_timerfd() const { return bool(fd_); }

  private:
    static void on_event(evutil_socket_t, short, void* self);

    Fire fire_;
    void* arg_;
    Fd fd_;
    EventHandle event_;
    int64_t due_ = 0;  // without a timerfd: the time set, as libevent may fire early
};

}  // namespace smalld
