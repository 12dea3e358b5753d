// SPDX-License-Identifier: BSD-2-Clause
// Capacity from packet trains and the size sweep's fit, from probes alone:
// a simulated path of two bottlenecks (forward, backward) spaces each train
// as links do; the estimate names each direction's rate, calls the backward
// one a lower bound when a narrower forward link hides it, discards trains
// that lost or reordered a packet, and resists a train widened by cross
// traffic or timestamps a busy host took late. The fit names a rate only from minima that grow with
// the size and lie on a line, and says why not otherwise.

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "capacity.h"
#include "stamp.h"

#include "../cmocka.hpp"

using namespace smallprobe;

namespace {

constexpr uint32_t kPayload = 1472;  // + 28: 1500 bytes at the IP layer
constexpr uint32_t kTrain = 10;

// `trains` trains of kTrain packets, sent 2 us apart, 100 ms between
// trains, through a forward link of `forward_bps` and a backward one of
// `backward_bps` (1 ms propagation each way, 5 us processing).
std::vector<Probe> path(double forward_bps, double backward_bps, int trains = 5) {
    std::vector<Probe> probes;
    double bits = 8.0 * (kPayload + 28);
    int64_t tx_f = int64_t(bits * 1e9 / forward_bps), tx_b = int64_t(bits * 1e9 / backward_bps);
    for (int k = 0; k < trains; ++k) {
        int64_t free_f = 0, free_b = 0;  // when each link is next idle
        for (uint32_t i = 0; i < kTrain; ++i) {
            Probe p;
            p.seq = uint32_t(probes.size());
            p.size = kPayload;
            p.t1 = 1'000'000'000 + int64_t(k) * 100'000'000 + int64_t(i) * 2'000;
            free_f = std::max(free_f, p.t1) + tx_f;
            p.t2 = free_f + 1'000'000;
            p.t3 = p.t2 + 5'000;
            free_b = std::max(free_b, p.t3) + tx_b;
            p.t4 = free_b + 1'000'000;
            p.received = true;
            p.copies = 1;
            p.arrival = probes.size();
            probes.push_back(p);
        }
    }
    return probes;
}

bool within(double value, double expected, double fraction) {
    return value > expected * (1 - fraction) && value < expected * (1 + fraction);
}

void test_backward_narrower(void**) {
    CapacityEstimate c = estimate_capacity(path(50e6, 10e6), kTrain, 28);
    assert_true(c.measured);
    assert_int_equal(c.trains, 5);
    assert_int_equal(c.trains_used, 5);
    assert_int_equal(c.packet_bytes, 1500);
    assert_true(c.forward.known && !c.forward.lower_bound && within(c.forward.bps, 50e6, 0.01));
    assert_true(c.backward.known && !c.backward.lower_bound);
    assert_true(within(c.backward.bps, 10e6, 0.01));
    assert_true(c.forward.reason.empty() && c.backward.reason.empty());
    std::string json = capacity_json(c);
    assert_non_null(strstr(json.c_str(), "\"forward\":{\"bps\":50000000,\"bound\":\"exact\"}"));
    assert_non_null(strstr(json.c_str(), "\"backward\":{\"bps\":10000000,\"bound\":\"exact\"}"));
}

void test_forward_narrower_hides_backward(void**) {
    CapacityEstimate c = estimate_capacity(path(10e6, 50e6), kTrain, 28);
    assert_true(c.forward.known && !c.forward.lower_bound && within(c.forward.bps, 10e6, 0.01));
    // The replies leave 1.2 ms apart and the 50 Mbit/s link keeps them so:
    // all that is known is "at least 10 Mbit/s".
    assert_true(c.backward.known && c.backward.lower_bound);
    assert_true(within(c.backward.bps, 10e6, 0.01));
    assert_non_null(strstr(c.backward.reason.c_str(), "forward bottleneck"));
    assert_non_null(strstr(capacity_json(c).c_str(), "\"bound\":\"lower\",\"reason\":"));
    std::vector<std::string> lines = capacity_lines(c);
    assert_int_equal(lines.size(), 3);
    assert_non_null(strstr(lines[1].c_str(), "forward     10.0 Mbit/s"));
    assert_non_null(strstr(lines[2].c_str(), "backward >= 10.0 Mbit/s   lower bound: "));
}

void test_sender_slower_than_the_path(void**) {
    // Sent 1 ms apart through a 50 Mbit/s link: they arrive 1 ms apart.
    std::vector<Probe> probes = path(50e6, 50e6);
    for (size_t i = 0; i < probes.size(); ++i) {
        int64_t late = int64_t(i % kTrain) * 1'000'000;
        probes[i].t1 += late - int64_t(i % kTrain) * 2'000;
        probes[i].t2 = probes[i].t1 + 1'000'000;
        probes[i].t3 = probes[i].t2 + 5'000;
        probes[i].t4 = probes[i].t3 + 1'000'000;
    }
    CapacityEstimate c = estimate_capacity(probes, kTrain, 28);
    assert_true(c.forward.known && c.forward.lower_bound && within(c.forward.bps, 12e6, 0.01));
    assert_non_null(strstr(c.forward.reason.c_str(), "the sender"));
}

void test_broken_and_outlying_trains(void**) {
    std::vector<Probe> probes = path(50e6, 10e6, 7);
    probes[3].received = false;                         // train 0 lost a packet
    std::swap(probes[14].arrival, probes[15].arrival);  // train 1 reordered
    std::swap(probes[14].t4, probes[15].t4);
    for (uint32_t i = 20; i < 30; ++i) probes[i].t2 += int64_t(i - 20) * 400'000;  // cross traffic
    CapacityEstimate c = estimate_capacity(probes, kTrain, 28);
    assert_int_equal(c.trains, 7);
    assert_int_equal(c.trains_used, 5);
    assert_true(within(c.forward.bps, 50e6, 0.01) && within(c.backward.bps, 10e6, 0.01));
    assert_non_null(strstr(capacity_lines(c)[0].c_str(), "5 of 7 trains of 10 packets"));
}

void test_host_delays(void**) {
    // A busy host takes some receive timestamps late: in every train the
    // last reply's T4 is 3 ms late, and two requests' T2 are bunched with
    // the packet after them. Neither moves a train's spacing.
    std::vector<Probe> probes = path(50e6, 10e6);
    for (size_t i = 0; i < probes.size(); ++i) {
        if (i % kTrain == kTrain - 1) probes[i].t4 += 3'000'000;
        if (i % kTrain == 3 || i % kTrain == 6) probes[i].t2 = probes[i + 1].t2 - 1'000;
    }
    CapacityEstimate c = estimate_capacity(probes, kTrain, 28);
    assert_int_equal(c.trains_used, 5);
    assert_true(within(c.forward.bps, 50e6, 0.01) && within(c.backward.bps, 10e6, 0.01));
}

void test_reflector_sends_a_train_back_to_back(void**) {
    // 10 forward, 50 backward; the reflector, busy, answers 3 of 5 trains
    // at once, back to back, so the backward link spaces those: exact.
    std::vector<Probe> probes = path(10e6, 50e6);
    for (size_t i = 0; i < 3 * kTrain; ++i) {
        const Probe& last = probes[i - i % kTrain + kTrain - 1];
        probes[i].t3 = last.t2 + 5'000 + int64_t(i % kTrain) * 100;
        probes[i].t4 = last.t2 + 1'005'000 + int64_t(i % kTrain + 1) * 240'000;
    }
    CapacityEstimate c = estimate_capacity(probes, kTrain, 28);
    assert_true(c.backward.known && !c.backward.lower_bound);
    assert_true(within(c.backward.bps, 50e6, 0.01));
    // Only 2 of 5: a lower bound, from every train, at most the link's.
    probes = path(10e6, 50e6);
    for (size_t i = 0; i < 2 * kTrain; ++i) {
        const Probe& last = probes[i - i % kTrain + kTrain - 1];
        probes[i].t3 = last.t2 + 5'000 + int64_t(i % kTrain) * 100;
        probes[i].t4 = last.t2 + 1'005'000 + int64_t(i % kTrain + 1) * 240'000;
    }
    c = estimate_capacity(probes, kTrain, 28);
    assert_true(c.backward.known && c.backward.lower_bound);
    assert_true(within(c.backward.bps, 10e6, 0.01));
    assert_non_null(strstr(c.backward.reason.c_str(), "(3 of 5 trains)"));
}

void test_unknown(void**) {
    CapacityEstimate none = estimate_capacity(path(50e6, 10e6), 0, 28);
    assert_false(none.measured || none.forward.known || none.backward.known);
    assert_true(capacity_lines(none).empty());
    assert_non_null(strstr(capacity_json(none).c_str(),
                           "\"forward\":{\"bps\":null,\"bound\":null,\"reason\":\"not measured"));
    std::vector<Probe> probes = path(50e6, 10e6, 2);
    probes[0].received = probes[10].received = false;
    CapacityEstimate c = estimate_capacity(probes, kTrain, 28);
    assert_true(c.measured && c.trains_used == 0 && !c.forward.known && !c.backward.known);
    assert_non_null(strstr(c.forward.reason.c_str(), "no train came back whole"));
    assert_non_null(strstr(capacity_json(c).c_str(), "\"packet_bytes\":null,\"spacing_ns\":null"));
    assert_non_null(strstr(capacity_lines(c)[1].c_str(), "forward     -   no train"));
}

// Minimum network RTTs of 100 us + 2 ns/byte.
std::vector<std::pair<uint32_t, double>> line(std::vector<uint32_t> sizes) {
    std::vector<std::pair<uint32_t, double>> minima;
    for (uint32_t size : sizes) minima.push_back({size, 100.0 + 2.0 * size / 1000.0});
    return minima;
}

void test_fit(void**) {
    // 2 ns/byte of round trip: 1 ns/byte each way, 8 Gbit/s.
    SizeFit f = fit_sizes(line({64, 512, 1024, 1400}));
    assert_true(f.fitted && f.monotonic && f.rate_named);
    assert_true(f.r2 > 0.9999 && f.residual_us < 1e-6);
    assert_true(within(f.slope_ns_per_byte, 2.0, 1e-6) && within(f.rate_bps, 8e9, 1e-6));
    assert_non_null(strstr(fit_json(f).c_str(),
                           "\"monotonic\":true,\"rate_bps\":8000000000,"
                           "\"reason\":null}"));
    // A smaller minimum at a larger size: no rate, and which sizes.
    auto bent = line({64, 512, 1024, 1400});
    bent[2].second = bent[1].second - 0.5;
    f = fit_sizes(bent);
    assert_true(f.fitted && !f.monotonic && !f.rate_named);
    assert_non_null(strstr(f.reason.c_str(), "do not grow with the size (512 bytes"));
    assert_non_null(strstr(fit_json(f).c_str(), "\"rate_bps\":null,\"reason\":\"the minima"));
    // Growing, but scattered far about the line (loopback: no transmission).
    f = fit_sizes({{64, 100.0}, {128, 103.0}, {256, 103.1}, {1400, 103.2}});
    assert_true(f.monotonic && !f.rate_named && f.r2 < kMinimumR2 && f.residual_us > 0.5);
    assert_non_null(strstr(f.reason.c_str(), "the fit is poor (R² "));
    f = fit_sizes(line({64, 1400}));
    assert_true(f.fitted && !f.rate_named && strstr(f.reason.c_str(), "two sizes"));
    f = fit_sizes(line({64}));
    assert_false(f.fitted || f.rate_named);
    assert_non_null(strstr(fit_json(f).c_str(), "{\"r2\":null,\"residual_us\":null,"));
}

void test_rate_text(void**) {
    assert_string_equal(bits_per_second_text(49.46e6).c_str(), "49.5 Mbit/s");
    assert_string_equal(bits_per_second_text(830e3).c_str(), "830 kbit/s");
    assert_string_equal(bits_per_second_text(1.2e9).c_str(), "1.20 Gbit/s");
    assert_true(median({3, 1, 2}) == 2 && median({4, 1, 2, 3}) == 2.5 && median({}) == 0);
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(test_backward_narrower),
                           cmocka_unit_test(test_forward_narrower_hides_backward),
                           cmocka_unit_test(test_sender_slower_than_the_path),
                           cmocka_unit_test(test_broken_and_outlying_trains),
                           cmocka_unit_test(test_host_delays),
                           cmocka_unit_test(test_reflector_sends_a_train_back_to_back),
                           cmocka_unit_test(test_unknown), cmocka_unit_test(test_fit),
                           cmocka_unit_test(test_rate_text)});
}
