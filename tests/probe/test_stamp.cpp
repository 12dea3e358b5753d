// SPDX-License-Identifier: BSD-2-Clause
// smallprobe stamp's numbers from probes alone: the delays, loss per
// direction against stateless and stateful reflectors, duplicates,
// reordering, hops, jitter, the size fit, and the option parser.

#include <set>
#include <string>
#include <vector>

#include "stamp.h"

#include "../cmocka.hpp"

using namespace smallprobe;

namespace {

constexpr uint32_t kBase = 1u << 24;

// Probe i sent at i ms, forward `fwd` us, processing `proc` us, back `back` us.
Probe probe(uint32_t i, int64_t fwd, int64_t proc, int64_t back, uint32_t size = 44) {
    Probe p;
    p.seq = kBase + i;
    p.size = size;
    p.t1 = int64_t(i) * 1'000'000;
    p.t2 = p.t1 + fwd * 1000;
    p.t3 = p.t2 + proc * 1000;
    p.t4 = p.t3 + back * 1000;
    p.received = true;
    p.copies = 1;
    p.arrival = i;
    p.reflector_seq = p.seq;  // stateless
    p.ttl = 253;
    return p;
}

// 20 probes to a stateful reflector whose count starts at `count`: those in
// `forward` lost on the way there (never counted), those in `backward` lost
// on the way back (counted).
std::vector<Probe> stateful_run(uint32_t count, const std::set<uint32_t>& forward,
                                const std::set<uint32_t>& backward) {
    std::vector<Probe> probes;
    for (uint32_t i = 0; i < 20; ++i) {
        Probe p = probe(i, 100, 5, 100);
        if (forward.count(i)) {
            p.received = false;
        } else {
            p.reflector_seq = count++;
            if (backward.count(i)) p.received = false;
        }
        probes.push_back(p);
    }
    return probes;
}

// A stateful run's loss: in all, and forward, backward and of unknown direction.
void expect_stateful_loss(const StampSummary& s, int lost, int forward, int backward, int unknown) {
    assert_true(s.stateful);
    assert_int_equal(s.lost, lost);
    assert_int_equal(s.lost_forward, forward);
    assert_int_equal(s.lost_backward, backward);
    assert_int_equal(s.lost_unknown, unknown);
}

void test_delays_and_hops(void**) {
    std::vector<Probe> probes;
    for (uint32_t i = 0; i < 100; ++i) probes.push_back(probe(i, 20'000, 5, 100));
    StampSummary s = summarize(probes, true);
    assert_int_equal(s.sent, 100);
    assert_int_equal(s.received, 100);
    assert_int_equal(s.lost, 0);
    assert_false(s.stateful);
    assert_int_equal(s.hops, 2);
    assert_true(s.forward.p50 == 20'000.0);
    assert_true(s.backward.p99 == 100.0);
    assert_true(s.processing.max == 5.0);
    assert_true(s.network_rtt.min == 20'100.0);
    assert_true(s.rtt.p90 == 20'105.0);
    assert_true(s.ipdv_forward_us == 0.0);
}

void test_stateful_loss_by_direction(void**) {
    // 20 sent; 3 and 7 lost on the way there (the reflector's count skips
    // nothing, it never saw them), 12 lost on the way back (counted).
    // An older session: the count need not start at 0.
    std::vector<Probe> probes = stateful_run(500, {3, 7}, {12});
    expect_stateful_loss(summarize(probes, true), 3, 2, 1, 0);
}

void test_stateful_tail_and_head_loss_unknown(void**) {
    // The issue's case: 4 forward drops, the last packet among them. No
    // reply after the last one says whether the reflector saw it, so its
    // direction is unknown, not backward; the same for a packet lost before
    // the first reply (the session's count may be older than the run).
    std::vector<Probe> probes = stateful_run(0, {0, 5, 9, 19}, {});
    expect_stateful_loss(summarize(probes, true), 4, 2, 0, 2);
    // Backward loss at the tail is no more knowable.
    probes[19].reflector_seq = probes[18].reflector_seq + 1;
    probes[18].received = false;
    StampSummary s = summarize(probes, true);
    assert_int_equal(s.lost, 5);
    assert_int_equal(s.lost_forward + s.lost_backward + s.lost_unknown, 5);
    assert_int_equal(s.lost_unknown, 3);
}

void test_stateless_loss_unknown(void**) {
    std::vector<Probe> probes;
    for (uint32_t i = 0; i < 10; ++i) probes.push_back(probe(i, 100, 5, 100));
    probes[4].received = false;
    probes[9].received = false;
    StampSummary s = summarize(probes, true);
    assert_false(s.stateful);
    assert_int_equal(s.lost, 2);
    assert_int_equal(s.lost_unknown, 2);
    assert_int_equal(s.lost_forward + s.lost_backward, 0);
}

void test_duplicates_and_reordering(void**) {
    std::vector<Probe> probes;
    for (uint32_t i = 0; i < 5; ++i) probes.push_back(probe(i, 100, 5, 100));
    probes[2].arrival = 10;  // arrives after 3 and 4: reordered
    probes[4].copies = 3;    // two duplicates
    probes[1].ttl = 0;       // unknown for that one; hops from the rest
    StampSummary s = summarize(probes, false);
    assert_int_equal(s.reordered, 1);
    assert_int_equal(s.duplicates, 2);
    assert_int_equal(s.hops, 2);
    for (auto& p : probes) p.ttl = -1;
    assert_int_equal(summarize(probes, false).hops, -1);
}

void test_decomposition_fit(void**) {
    // Network RTT = 1000 us + 2 ns/byte; some probes queued 50 us more.
    std::vector<Probe> probes;
    uint32_t sizes[] = {64, 512, 1400};
    for (uint32_t i = 0; i < 30; ++i) {
        uint32_t size = sizes[i % 3];
        int64_t net_ns = 1'000'000 + 2 * int64_t(size) + (i % 2 ? 50'000 : 0);
        Probe p = probe(i, 0, 7, 0, size);
        p.t2 = p.t1 + net_ns / 2;
        p.t3 = p.t2 + 7'000;
        p.t4 = p.t3 + net_ns - net_ns / 2;
        probes.push_back(p);
    }
    StampSummary s = summarize(probes, true);
    assert_true(s.fit.fitted);
    assert_true(s.fit.intercept_us > 999.9 && s.fit.intercept_us < 1000.1);
    assert_true(s.fit.slope_ns_per_byte > 1.99 && s.fit.slope_ns_per_byte < 2.01);
    assert_true(s.fit.rate_named && s.fit.r2 > 0.999);
    assert_true(s.processing.p50 == 7.0);
    assert_true(s.queuing.min == 0.0);
    assert_true(s.queuing.max > 49.9 && s.queuing.max < 50.1);
}

void test_options(void**) {
    StampOptions o;
    std::string error;
    const char* argv[] = {"stamp", "-R",     "1k", "--sizes", "64,512,1400", "--dscp",
                          "46",    "--ssid", "7",  "-d",      "10s",         "[::1]:8620"};
    assert_int_equal(parse_stamp_options(12, const_cast<char**>(argv), &o, &error),
                     StampParse::Run);
    assert_int_equal(o.interval_ns, 1'000'000);
    assert_int_equal(o.sizes.size(), 3);
    assert_int_equal(o.tos, 46 << 2);
    assert_int_equal(o.ssid, 7);
    assert_string_equal(o.host.c_str(), "::1");
    assert_string_equal(o.port.c_str(), "8620");
    StampOptions d;
    const char* bare[] = {"stamp", "192.0.2.1"};
    assert_int_equal(parse_stamp_options(2, const_cast<char**>(bare), &d, &error), StampParse::Run);
    assert_string_equal(d.port.c_str(), "862");
    assert_int_equal(d.count, 100);
    StampOptions bad;
    const char* small[] = {"stamp", "-s", "20", "h"};
    assert_int_equal(parse_stamp_options(4, const_cast<char**>(small), &bad, &error),
                     StampParse::Error);
    assert_true(d.max_loss_pct < 0);  // no limit unless asked
    StampOptions limited;
    const char* max_loss[] = {"stamp", "--max-loss", "1.5", "h"};
    assert_int_equal(parse_stamp_options(4, const_cast<char**>(max_loss), &limited, &error),
                     StampParse::Run);
    assert_true(limited.max_loss_pct == 1.5);
}

}  // namespace

int main() {
    return run_test_group(
        {cmocka_unit_test(test_delays_and_hops), cmocka_unit_test(test_stateful_loss_by_direction),
         cmocka_unit_test(test_stateful_tail_and_head_loss_unknown),
         cmocka_unit_test(test_stateless_loss_unknown),
         cmocka_unit_test(test_duplicates_and_reordering), cmocka_unit_test(test_decomposition_fit),
         cmocka_unit_test(test_options)});
}
