// SPDX-License-Identifier: BSD-2-Clause
// smallprobe stamp's loss split by the reflector's Direct Measurement
// counters, from probes alone: a simulated stateful reflector meets each
// packet with a fate, and the split equals the fates exactly (forward,
// dropped by the reflector, backward), whatever the pattern; a lost tail
// is of unknown direction; a session reset is counted, never loss.

#include <string>
#include <vector>

#include "stamp.h"
#include "stamp_loss.h"

#include "../cmocka.hpp"

using namespace smallprobe;

namespace {

enum Fate : char { Ok = '.', Forward = 'f', Dropped = 'd', Backward = 'b', Reset = 'R' };

// The reflector's session: R (reset) starts a new session before that
// packet, which is then answered.
std::vector<Probe> run(const std::string& fates) {
    std::vector<Probe> probes;
    uint32_t rx = 100, tx = 90, seq = 89;  // a session older than the run
    for (size_t i = 0; i < fates.size(); ++i) {
        Probe p;
        p.seq = (1u << 24) + uint32_t(i);
        char fate = fates[i];
        if (fate == Reset) rx = tx = 0, seq = 0, fate = Ok;
        if (fate != Forward) ++rx;
        if (fate == Ok || fate == Backward) ++tx, ++seq;
        if (fate == Ok) {
            p.received = true;
            p.copies = 1;
            p.counted = true;
            p.reflector_rx = rx;
            p.reflector_tx = tx;
            p.reflector_seq = seq - 1;
        }
        probes.push_back(p);
    }
    return probes;
}

void expect(const std::string& fates, uint64_t forward, uint64_t dropped, uint64_t backward,
            uint64_t unknown, uint64_t resets) {
    LossSplit s = split_loss(run(fates));
    if (s.forward != forward || s.reflector != dropped || s.backward != backward ||
        s.unknown != unknown || s.resets != resets)
        fail_msg("%s: %llu forward, %llu dropped, %llu backward, %llu unknown, %llu resets",
                 fates.c_str(), (unsigned long long)s.forward, (unsigned long long)s.reflector,
                 (unsigned long long)s.backward, (unsigned long long)s.unknown,
                 (unsigned long long)s.resets);
    assert_true(s.counted);
}

void test_every_pattern_splits_exactly(void**) {
    expect("..........", 0, 0, 0, 0, 0);
    expect(".f.d.b.", 1, 1, 1, 0, 0);
    expect(".ffddbb.", 2, 2, 2, 0, 0);
    expect(".dddddddd.", 0, 8, 0, 0, 0);  // the rate limit of the issue
    expect(".fdbfdb.fdb.", 3, 3, 3, 0, 0);
    // Before the first and after the last reply: no count says.
    expect("fd.b.f", 0, 0, 1, 3, 0);
    expect("..fff", 0, 0, 0, 3, 0);  // a lost last packet: unknown, not backward
}

void test_resets_are_not_loss(void**) {
    expect("..R..", 0, 0, 0, 0, 1);
    expect(".R.R.R", 0, 0, 0, 0, 3);
    // Evicted before every packet: each reply the first of a new session.
    expect("RRRRR", 0, 0, 0, 0, 4);
    expect("RRfRR", 0, 0, 0, 1, 3);
    // Losses in the interval of a reset are of unknown direction.
    expect(".fR.d.", 0, 1, 0, 1, 1);
}

// The run's fates, then the closing packets' (after a lost tail), against
// one reflector session.
void expect_closed(const std::string& fates, size_t closing, uint64_t forward, uint64_t dropped,
                   uint64_t backward, uint64_t unknown) {
    std::vector<Probe> all = run(fates);
    std::vector<Probe> run_part(all.begin(), all.end() - ptrdiff_t(closing));
    std::vector<Probe> closing_part(all.end() - ptrdiff_t(closing), all.end());
    LossSplit s = split_loss(run_part, closing_part);
    if (s.forward != forward || s.reflector != dropped || s.backward != backward ||
        s.unknown != unknown || s.resets != 0)
        fail_msg("%s (%zu closing): %llu forward, %llu dropped, %llu backward, %llu unknown",
                 fates.c_str(), closing, (unsigned long long)s.forward,
                 (unsigned long long)s.reflector, (unsigned long long)s.backward,
                 (unsigned long long)s.unknown);
}

void test_closing_packets_split_the_tail(void**) {
    expect_closed("...f.", 1, 1, 0, 0, 0);  // the last packet lost forward
    expect_closed("...b.", 1, 0, 0, 1, 0);  // its reply lost
    expect_closed("..fdb.", 1, 1, 1, 1, 0);
    // A closing packet lost too: taken from the class when the interval's
    // losses are all of one class, else the tail is of unknown direction.
    expect_closed("..ff.", 2, 1, 0, 0, 0);
    expect_closed("..bb.", 2, 0, 0, 1, 0);
    expect_closed("..fb.", 2, 0, 0, 0, 1);
    expect_closed("..fff", 2, 0, 0, 0, 1);  // every closing packet lost
}

void test_without_counters_nothing_is_split(void**) {
    std::vector<Probe> probes = run("..f..");
    for (Probe& p : probes) p.counted = false;
    LossSplit s = split_loss(probes);
    assert_false(s.counted);
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(test_every_pattern_splits_exactly),
                           cmocka_unit_test(test_resets_are_not_loss),
                           cmocka_unit_test(test_closing_packets_split_the_tail),
                           cmocka_unit_test(test_without_counters_nothing_is_split)});
}
