// SPDX-License-Identifier: BSD-2-Clause
// Histogram: percentiles must be within the promised 1/64 of the truth, and
// the edges (empty, single value, merge) must behave.

#include <cmath>

#include "histogram.h"

#include "../cmocka.hpp"

using smallprobe::Histogram;

namespace {

// |got - want| <= want / 64, the histogram's documented precision.
void assert_close(uint64_t got, uint64_t want) {
    const double error = std::fabs(static_cast<double>(got) - static_cast<double>(want));
    if (error > static_cast<double>(want) / 64.0 + 1.0)
        fail_msg("got %llu, want %llu within 1/64", static_cast<unsigned long long>(got),
                 static_cast<unsigned long long>(want));
}

void test_empty_reports_zero(void**) {
    Histogram h;
    assert_int_equal(h.count(), 0);
    assert_int_equal(h.percentile(50), 0);
    assert_int_equal(h.max(), 0);
    assert_int_equal(h.min(), 0);
}

void test_small_values_are_exact(void**) {
    Histogram h;
    for (uint64_t v = 0; v < 100; ++v) h.record(v);
    assert_int_equal(h.percentile(50), 49);
    assert_int_equal(h.percentile(100), 99);
    assert_int_equal(h.min(), 0);
}

void test_uniform_percentiles(void**) {
    Histogram h;
    for (uint64_t v = 1; v <= 100000; ++v) h.record(v * 1000);  // 1 us .. 100 ms in ns
    assert_close(h.percentile(50), 50000ull * 1000);
    assert_close(h.percentile(99), 99000ull * 1000);
    assert_close(h.percentile(99.9), 99900ull * 1000);
    assert_int_equal(h.percentile(100), 100000ull * 1000);
    assert_int_equal(h.max(), 100000ull * 1000);
    assert_int_equal(h.count(), 100000);
}

void test_tail_is_not_hidden(void**) {
    Histogram h;
    for (int i = 0; i < 990; ++i) h.record(10000);
    for (int i = 0; i < 10; ++i) h.record(5000000);
    assert_close(h.percentile(50), 10000);
    assert_close(h.percentile(99), 10000);
    assert_close(h.percentile(99.9), 5000000);
}

void test_bucket_bounds_hold_their_values(void**) {
    const uint64_t samples[] = {127, 128, 129, 1000, 65535, 1ull << 40, UINT64_MAX};
    for (uint64_t v : samples) {
        const size_t b = Histogram::bucket_of(v);
        assert_true(b < Histogram::kBucketCount);
        assert_true(Histogram::highest_in_bucket(b) >= v);
        assert_close(Histogram::highest_in_bucket(b), v);
    }
}

void test_merge_adds_counts(void**) {
    Histogram a, b;
    a.record(100);
    b.record(200);
    b.record(300);
    a.merge(b);
    assert_int_equal(a.count(), 3);
    assert_int_equal(a.min(), 100);
    assert_int_equal(a.max(), 300);
    assert_true(std::fabs(a.mean() - 200.0) < 0.001);
}

}  // namespace

int main() {
    return run_test_group(
        {cmocka_unit_test(test_empty_reports_zero), cmocka_unit_test(test_small_values_are_exact),
         cmocka_unit_test(test_uniform_percentiles), cmocka_unit_test(test_tail_is_not_hidden),
         cmocka_unit_test(test_bucket_bounds_hold_their_values),
         cmocka_unit_test(test_merge_adds_counts)});
}
