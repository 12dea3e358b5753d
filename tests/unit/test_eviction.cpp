// SPDX-License-Identifier: BSD-2-Clause
// The victim chooser behind the endpoints' slow-request defence, the
// per-source counts, and the drain watch of long-lived readers.
#include <vector>

#include "eviction.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;

namespace {

constexpr int64_t kNow = 100'000;

uint64_t victim(const std::vector<EvictionCandidate>& candidates, int64_t now = kNow) {
    auto v = choose_victim(candidates, now);
    return v ? *v : 0;
}

void no_candidate_no_victim(void**) {
    assert_false(choose_victim({}, kNow).has_value());
}

// A slow request from long ago loses its slot before one that sent more.
void seasoned_fewest_bytes_first(void**) {
    std::vector<EvictionCandidate> c = {
        {1, 40, kNow - 9000},
        {2, 3, kNow - 2000},
        {3, 20, kNow - 8000},
    };
    assert_int_equal(victim(c), 2);
}

// Equal bytes: the one that has waited longest.
void equal_bytes_longest_waiting(void**) {
    std::vector<EvictionCandidate> c = {
        {1, 5, kNow - 2000},
        {2, 5, kNow - 7000},
        {3, 5, kNow - 3000},
    };
    assert_int_equal(victim(c), 2);
}

// A newcomer whose request has not arrived yet (0 bytes) is not the victim
// while a connection that has had its grace can be, however many bytes
// that one sent.
void newcomer_is_spared(void**) {
    std::vector<EvictionCandidate> c = {
        {1, 8000, kNow - kEvictionGraceMs},
        {2, 0, kNow - 1},
        {3, 0, kNow},
    };
    assert_int_equal(victim(c), 1);
}

// When nobody has had the grace (a flood reconnecting faster than it), the
// longest waiting goes, so a newcomer is the last victim, not the first.
void all_young_oldest_goes(void**) {
    std::vector<EvictionCandidate> c = {
        {7, 0, kNow - 10},
        {4, 900, kNow - 500},
        {9, 0, kNow},
    };
    assert_int_equal(victim(c), 4);
}

void ties_go_to_the_first_accepted(void**) {
    std::vector<EvictionCandidate> c = {{5, 0, kNow - 5000}, {3, 0, kNow - 5000}};
    assert_int_equal(victim(c), 3);
}

void source_counts(void**) {
    SourceCounts<int> counts;
    assert_int_equal(counts.of(1), 0);
    counts.add(1);
    counts.add(1);
    counts.add(2);
    assert_int_equal(counts.of(1), 2);
    assert_int_equal(counts.sources(), 2);
    counts.remove(1);
    counts.remove(2);
    counts.remove(2);  // more removes than adds: stays at zero
    assert_int_equal(counts.of(1), 1);
    assert_int_equal(counts.of(2), 0);
    assert_int_equal(counts.sources(), 1);
}

// A quiet reader with nothing waiting is never stalled; one that takes
// nothing of what waits is, after kStallMs; any progress restarts the clock.
void drain_watch(void**) {
    DrainWatch w;
    constexpr int64_t S = DrainWatch::kStallMs;
    assert_false(w.stalled(0, 0, 0));
    assert_false(w.stalled(0, 0, 10 * S));
    assert_false(w.stalled(100, 0, 10 * S));  // output waits from now
    assert_false(w.stalled(100, 0, 11 * S - 1));
    assert_false(w.stalled(200, 50, 11 * S - 1));  // it took 50 bytes: progress
    assert_false(w.stalled(200, 50, 12 * S - 2));
    assert_true(w.stalled(200, 50, 12 * S - 1));
    assert_false(w.stalled(0, 50, 12 * S));  // drained
    assert_false(w.stalled(10, 50, 12 * S + 1));
    assert_true(w.stalled(10, 50, 13 * S + 1));
}

}  // namespace

int main() {
    return run_test_group(
        {cmocka_unit_test(no_candidate_no_victim), cmocka_unit_test(seasoned_fewest_bytes_first),
         cmocka_unit_test(equal_bytes_longest_waiting), cmocka_unit_test(newcomer_is_spared),
         cmocka_unit_test(all_young_oldest_goes), cmocka_unit_test(ties_go_to_the_first_accepted),
         cmocka_unit_test(source_counts), cmocka_unit_test(drain_watch)});
}
