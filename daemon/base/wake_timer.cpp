// SPDX-License-Identifier: BSD-2-Clause
#include "wake_timer.h"

#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

namespace smalld {

WakeTimer::WakeTimer(event_base* base, Fire fire, void* arg)
    : fire_(fire), arg_(arg), fd_(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
    if (fd_) {
        event_.reset(event_new(base, fd_.get(), EV_READ | EV_PERSIST, on_event, this));
        event_add(event_.get(), nullptr);
    } else {
        event_.reset(evtimer_new(base, on_event, this));
    }
}

void WakeTimer::at(int64_t monotonic_ns) {
    if (fd_) {
        // 0 would disarm it: a time passed is the next nanosecond.
        int64_t ns = monotonic_ns > 0 ? monotonic_ns : 1;
        itimerspec when{};
        when.it_value = {time_t(ns / 1'000'000'000), long(ns % 1'000'000'000)};
        timerfd_settime(fd_.get(), TFD_TIMER_ABSTIME, &when, nullptr);
        return;
    }
    due_ = monotonic_ns;
    int64_t wait = due_ - clock_ns();
    timeval tv = timeval_of_ns(wait > 0 ? wait : 0);
    evtimer_add(event_.get(), &tv);
}

void WakeTimer::cancel() {
    if (fd_) {
        itimerspec never{};
        timerfd_settime(fd_.get(), 0, &never, nullptr);
    } else {
        evtimer_del(event_.get());
    }
}

void WakeTimer::on_event(evutil_socket_t, short, void* self) {
    auto* t = static_cast<WakeTimer*>(self);
    if (t->fd_) {
        uint64_t expirations = 0;
        // Nothing to read: set again since it fired, or read already.
        if (read(t->fd_.get(), &expirations, sizeof expirations) != sizeof expirations) return;
    } else if (clock_ns() < t->due_) {  // libevent's coarse clock: early
        t->at(t->due_);
        return;
    }
    t->fire_(t->arg_);
}

}  // namespace smalld
