// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// What the stamp-sender keeps of one peer's replies, pure: the four delay
// histograms (round trip, network round trip, forward, backward) with the
// buckets of smalld.ini(5), the hop counts, the clock error bound of the
// one-way figures, the samples of the last `window` for the quantiles of
// smallctl peers, and the least network round trip by size for the
// propagation and bottleneck estimate. Memory is fixed when it is made.

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "sender_session.h"

namespace smalld::stamp {

// Upper bounds (le, seconds) for latency SLOs: 10 us to 10 s in 1-2.5-5
// steps; +Inf is the count.
inline constexpr std::array<double, 19> kDelayBuckets = {
    1e-05, 2.5e-05, 5e-05, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
    0.025, 0.05,    0.1,   0.25,   0.5,     1,      2.5,   5,      10};

struct DelayHistogram {
    std::array<uint64_t, kDelayBuckets.size()> buckets{};  // not cumulative
    uint64_t count = 0;
    double sum = 0;  // seconds
    void add(double seconds);
};

enum class Delay : uint8_t { Rtt, NetworkRtt, Forward, Backward };
inline constexpr size_t kDelays = 4;

class PeerFigures {
  public:
    // `window_ns`: what the quantiles cover; `samples`: how many replies it
    // holds at most (the window over the interval, bounded).
    PeerFigures(int64_t window_ns, size_t samples);

    // `same_clock`: both ends read one clock (the one-way figures are exact);
    // `local_error_s`: our clock's error bound; `reply_ttl`: the reply's TTL
    // as it reached us (-1 unknown).
    void add(const ReplySample& s, bool same_clock, double local_error_s, int reply_ttl);
    // Zeroes the histograms (counters, as Prometheus reads them); the window's
    // quantiles, the hops and the estimates stay.
    void reset_histograms() { histograms_ = {}; }

    const DelayHistogram& histogram(Delay d) const { return histograms_[size_t(d)]; }
    int hops_forward() const { return hops_forward_; }  // -1: unknown
    int hops_backward() const { return hops_backward_; }
    std::optional<double> clock_error_s() const { return clock_error_s_; }
    // Quantile p (0..1) of the replies that arrived in the window before
    // now_ns; nullopt when none did.
    std::optional<double> quantile(Delay d, double p, int64_t now_ns) const;
    // The window the samples really cover: less than asked when more
    // replies came than the ring holds.
    int64_t covered_ns(int64_t now_ns) const;
    // With two sizes or more: the fit of the least network RTT against the
    // size (both directions carry `size` bytes). The least of each size is
    // over the last one to two windows (two epochs of a window each), so
    // the estimate follows a path that changed, in two windows at most.
    std::optional<double> propagation_s() const;
    std::optional<double> bottleneck_bps() const;

  private:
    struct Kept {
        int64_t t4 = 0;
        float delay[kDelays] = {};
    };
    bool fit(double* intercept, double* slope) const;

    int64_t window_ns_;
    std::array<DelayHistogram, kDelays> histograms_;
    std::vector<Kept> ring_;
    size_t next_ = 0, kept_ = 0;
    int hops_forward_ = -1, hops_backward_ = -1;
    std::optional<double> clock_error_s_;
    static constexpr size_t kSizes = 8;
    static constexpr float kNone = std::numeric_limits<float>::infinity();
    struct Least {
        uint32_t size = 0;
        float epoch = kNone, before = kNone;  // least network RTT, this epoch and the last
    };
    std::array<Least, kSizes> least_{};
    size_t sizes_ = 0;
    int64_t epoch_t4_ = 0;  // when this epoch began (a reply's T4)
};

}  // namespace smalld::stamp
