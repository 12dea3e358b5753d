// SPDX-License-Identifier: BSD-2-Clause
// contain(): an exception thrown in a libevent callback is logged and
// contained; the callback's own cleanup runs and the loop goes on.
#include <event2/event.h>

#include <new>
#include <stdexcept>
#include <string>

#include "contain.h"
#include "event_handle.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;

namespace {

struct Run {
    int throws_left = 3;
    int recovered = 0;
    int ticks = 0;
    event_base* base = nullptr;
};

void throwing_cb(evutil_socket_t, short, void* arg) {
    auto* run = static_cast<Run*>(arg);
    contain(
        "test",
        [&] {
            ++run->ticks;
            if (run->throws_left == 3) {
                --run->throws_left;
                throw std::runtime_error("bad input \xff");
            }
            if (run->throws_left == 2) {
                --run->throws_left;
                throw std::bad_alloc();
            }
            if (run->throws_left == 1) {
                --run->throws_left;
                throw 42;  // not even an exception class
            }
            event_base_loopexit(run->base, nullptr);
        },
        [&] {
            ++run->recovered;
            if (run->recovered == 2) throw std::logic_error("cleanup failed too");
        });
}

}  // namespace

static void loop_survives_throwing_callbacks(void**) {
    EventBaseHandle base(event_base_new());
    Run run;
    run.base = base.get();
    EventHandle timer(event_new(base.get(), -1, EV_PERSIST, throwing_cb, &run));
    timeval tick{0, 1000};
    event_add(timer.get(), &tick);
    assert_int_equal(event_base_dispatch(base.get()), 0);
    assert_int_equal(run.ticks, 4);
    assert_int_equal(run.recovered, 3);
}

int main() {
    return run_test_group({cmocka_unit_test(loop_survives_throwing_callbacks)});
}
