// SPDX-License-Identifier: BSD-2-Clause
#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace smallprobe {

size_t Histogram::bucket_of(uint64_t value) {
    if (value < kLinearLimit) return static_cast<size_t>(value);
    const unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(value));  // >= 7
    const unsigned shift = msb - kSubBucketBits;
    const uint64_t sub = (value >> shift) - kSubBuckets;  // 0..63
    return static_cast<size_t>(kLinearLimit + (msb - 7) * kSubBuckets + sub);
}

uint64_t Histogram::highest_in_bucket(size_t bucket) {
    if (bucket < kLinearLimit) return bucket;
    const uint64_t octave = (bucket - kLinearLimit) / kSubBuckets;  // msb - 7
    const uint64_t sub = (bucket - kLinearLimit) % kSubBuckets + kSubBuckets;
    const unsigned shift = static_cast<unsigned>(octave + 7 - kSubBucketBits);
    const uint64_t low = sub << shift;
    return low + ((1ull << shift) - 1);
}

void Histogram::record(uint64_t value) {
    ++counts_[bucket_of(value)];
    ++count_;
    sum_ += value;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
}

void Histogram::merge(const Histogram& other) {
    for (size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
}

uint64_t Histogram::percentile(double percent) const {
    if (count_ == 0) return 0;
    percent = std::clamp(percent, 0.0, 100.0);
    auto wanted = static_cast<uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(count_)));
    wanted = std::max<uint64_t>(wanted, 1);
    uint64_t seen = 0;
    for (size_t i = 0; i < kBucketCount; ++i) {
        seen += counts_[i];
        if (seen >= wanted) return std::clamp(highest_in_bucket(i), min(), max_);
    }
    return max_;
}

}  // namespace smallprobe
