// SPDX-License-Identifier: BSD-2-Clause
#include "peer_figures.h"

#include <algorithm>
#include <cmath>

namespace smalld::stamp {

namespace {

constexpr int kInitialTtl = 255;  // both ends send with it (smalld's reflector does)

int hops(int ttl) {
    return ttl > 0 && ttl <= kInitialTtl ? kInitialTtl - ttl : -1;
}

}  // namespace

void DelayHistogram::add(double seconds) {
    auto at = std::lower_bound(kDelayBuckets.begin(), kDelayBuckets.end(), seconds);
    if (at != kDelayBuckets.end()) ++buckets[size_t(at - kDelayBuckets.begin())];
    ++count;
    sum += seconds;
}

PeerFigures::PeerFigures(int64_t window_ns, size_t samples)
    : window_ns_(window_ns), ring_(std::max<size_t>(samples, 1)) {}

void PeerFigures::add(const ReplySample& s, bool same_clock, double local_error_s, int reply_ttl) {
    double rtt = double(s.t4 - s.t1) / 1e9, processing = double(s.t3 - s.t2) / 1e9;
    double delays[kDelays] = {rtt, rtt - processing, double(s.t2 - s.t1) / 1e9,
                              double(s.t4 - s.t3) / 1e9};
    Kept& k = ring_[next_];
    next_ = (next_ + 1) % ring_.size();
    kept_ = std::min(kept_ + 1, ring_.size());
    k.t4 = s.t4;
    for (size_t d = 0; d < kDelays; ++d) {
        histograms_[d].add(delays[d]);
        k.delay[d] = float(delays[d]);
    }
    hops_forward_ = hops(s.forward_ttl);
    hops_backward_ = hops(reply_ttl);
    clock_error_s_ = same_clock ? 0.0 : local_error_s + s.reflector_error_s;
    // The least network RTT of each size, for the fit (the first kSizes
    // sizes), in epochs of a window: a new epoch forgets the one before last.
    if (s.t4 - epoch_t4_ >= window_ns_) {
        bool gap = s.t4 - epoch_t4_ >= 2 * window_ns_;  // nothing came in the last
        for (Least& l : least_) l = {l.size, kNone, gap ? kNone : l.epoch};
        epoch_t4_ = s.t4;
    }
    size_t i = 0;
    while (i < sizes_ && least_[i].size != s.size) ++i;
    if (i == sizes_ && sizes_ < kSizes) least_[sizes_++] = {s.size};
    if (i < sizes_) least_[i].epoch = std::min(least_[i].epoch, float(delays[1]));
}

std::optional<double> PeerFigures::quantile(Delay d, double p, int64_t now_ns) const {
    std::vector<float> values;
    values.reserve(kept_);
    for (size_t i = 0; i < kept_; ++i)
        if (now_ns - ring_[i].t4 <= window_ns_) values.push_back(ring_[i].delay[size_t(d)]);
    if (values.empty()) return std::nullopt;
    // The nearest rank: the smallest value with at least p of them at or below it.
    size_t rank = size_t(std::ceil(p * double(values.size())));
    rank = std::clamp<size_t>(rank, 1, values.size()) - 1;
    std::nth_element(values.begin(), values.begin() + ptrdiff_t(rank), values.end());
    return double(values[rank]);
}

int64_t PeerFigures::covered_ns(int64_t now_ns) const {
    if (kept_ < ring_.size()) return window_ns_;
    const Kept& oldest = ring_[next_];  // the next to be overwritten
    return std::min(window_ns_, now_ns - oldest.t4);
}

bool PeerFigures::fit(double* intercept, double* slope) const {
    double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (size_t i = 0; i < sizes_; ++i) {
        double x = least_[i].size, y = std::min(least_[i].epoch, least_[i].before);
        if (std::isinf(y)) continue;  // not seen in two epochs
        n += 1, sx += x, sy += y, sxx += x * x, sxy += x * y;
    }
    if (n < 2) return false;
    double den = n * sxx - sx * sx;
    if (den <= 0) return false;
    *slope = (n * sxy - sx * sy) / den;
    *intercept = (sy - *slope * sx) / n;
    return true;
}

std::optional<double> PeerFigures::propagation_s() const {
    double a, b;
    if (!fit(&a, &b)) return std::nullopt;
    return std::max(a, 0.0);
}

std::optional<double> PeerFigures::bottleneck_bps() const {
    double a, b;
    // Each byte crosses the bottleneck twice (request and reply): 16 bits.
    if (!fit(&a, &b) || b <= 0) return std::nullopt;
    return 16.0 / b;
}

}  // namespace smalld::stamp
