// SPDX-License-Identifier: BSD-2-Clause
// WakeTimer: fires once, never before its time, the last time set wins, a
// cancel holds, and it still works where no timerfd can be made.
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "wake_timer.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;

namespace {

constexpr int64_t kMs = 1'000'000;  // in nanoseconds

struct Fired {
    int count = 0;
    int64_t at = 0;  // monotonic ns of the first
};

void record(void* arg) {
    auto* f = static_cast<Fired*>(arg);
    if (f->count++ == 0) f->at = clock_ns();
}

// Runs the loop for `ms` (a libevent timer ends it), however often the
// timer fires meanwhile.
void run_for(event_base* base, int64_t ms) {
    timeval tv = timeval_of_ns(ms * kMs);
    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

// Sets the timer at 1 ms, then at 30 ms: it fires once, at 30 ms or later.
void fires_once_at_the_last_time_set(event_base* base, WakeTimer& timer, Fired& fired) {
    int64_t start = clock_ns();
    timer.at(start + 1 * kMs);
    timer.at(start + 30 * kMs);
    run_for(base, 200);
    assert_int_equal(fired.count, 1);
    assert_true(fired.at >= start + 30 * kMs);
}

}  // namespace

static void a_wake_timer_fires_once_never_early(void**) {
    EventBaseHandle base(event_base_new());
    Fired fired;
    WakeTimer timer(base.get(), record, &fired);
    assert_true(timer.on_timerfd());
    fires_once_at_the_last_time_set(base.get(), timer, fired);
    // A time already passed fires at once (on the loop's next turn).
    fired = {};
    timer.at(clock_ns() - 5 * kMs);
    run_for(base.get(), 50);
    assert_int_equal(fired.count, 1);
    // 0 is a time passed too, not "disarmed".
    fired = {};
    timer.at(0);
    run_for(base.get(), 50);
    assert_int_equal(fired.count, 1);
}

static void a_cancelled_wake_timer_does_not_fire(void**) {
    EventBaseHandle base(event_base_new());
    Fired fired;
    WakeTimer timer(base.get(), record, &fired);
    timer.at(clock_ns() + 5 * kMs);
    timer.cancel();
    run_for(base.get(), 60);
    assert_int_equal(fired.count, 0);
    // And it can be set again after.
    timer.at(clock_ns() + 5 * kMs);
    run_for(base.get(), 60);
    assert_int_equal(fired.count, 1);
}

static void without_a_timerfd_it_falls_back_to_a_libevent_timer(void**) {
    EventBaseHandle base(event_base_new());
    // Descriptors exhausted: the limit is the next free descriptor.
    rlimit old{};
    getrlimit(RLIMIT_NOFILE, &old);
    Fd probe(dup(0));
    assert_true(bool(probe));
    rlimit tight = old;
    tight.rlim_cur = rlim_t(probe.get());
    probe.reset();
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &tight), 0);
    Fired fired;
    WakeTimer timer(base.get(), record, &fired);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    assert_false(timer.on_timerfd());
    fires_once_at_the_last_time_set(base.get(), timer, fired);
    fired = {};
    timer.at(clock_ns() + 5 * kMs);
    timer.cancel();
    run_for(base.get(), 60);
    assert_int_equal(fired.count, 0);
}

int main() {
    return run_test_group({cmocka_unit_test(a_wake_timer_fires_once_never_early),
                           cmocka_unit_test(a_cancelled_wake_timer_does_not_fire),
                           cmocka_unit_test(without_a_timerfd_it_falls_back_to_a_libevent_timer)});
}
