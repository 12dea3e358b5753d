// SPDX-License-Identifier: BSD-2-Clause
// The open-loop timetable: messages are due on a fixed grid, connections are
// spread over one interval, and due_by() agrees with intended().

#include "schedule.h"

#include "../cmocka.hpp"

using smallprobe::OpenLoopSchedule;

namespace {

void test_rate_splits_over_connections(void**) {
    // 10,000/s over 4 connections: each sends every 400 us.
    const auto s = OpenLoopSchedule::for_connection(1000, 10000, 4, 0);
    assert_int_equal(s.interval_ns, 400000);
    assert_int_equal(s.intended(0), 1000);
    assert_int_equal(s.intended(3), 1000 + 3 * 400000);
}

void test_connections_are_staggered(void**) {
    const auto first = OpenLoopSchedule::for_connection(0, 10000, 4, 0);
    const auto third = OpenLoopSchedule::for_connection(0, 10000, 4, 2);
    assert_int_equal(first.phase_ns, 0);
    assert_int_equal(third.phase_ns, 200000);  // half an interval later
}

void test_due_by_matches_intended(void**) {
    const auto s = OpenLoopSchedule::for_connection(5000, 1000, 1, 0);  // every 1 ms from t=5000
    assert_int_equal(s.due_by(0), 0);
    assert_int_equal(s.due_by(4999), 0);
    assert_int_equal(s.due_by(5000), 1);
    for (uint64_t k = 0; k < 100; ++k) {
        assert_int_equal(s.due_by(s.intended(k)), k + 1);
        assert_int_equal(s.due_by(s.intended(k) - 1), k);
    }
}

void test_extreme_rate_never_divides_by_zero(void**) {
    const auto s = OpenLoopSchedule::for_connection(0, 100000000, 1, 0);
    assert_true(s.interval_ns >= 1);
    assert_int_equal(s.due_by(1000), 1000 / s.interval_ns + 1);
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(test_rate_splits_over_connections),
                           cmocka_unit_test(test_connections_are_staggered),
                           cmocka_unit_test(test_due_by_matches_intended),
                           cmocka_unit_test(test_extreme_rate_never_divides_by_zero)});
}
