// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A log-bucketed latency histogram in the spirit of HdrHistogram: values below
// 128 are exact, above that every power of two is split into 64 linear
// sub-buckets, so any reported value is within 1/64 (1.6 %) of the truth.
// Fixed size, no allocation after construction: recording is one array add.

#include <array>
#include <cstddef>
#include <cstdint>

namespace smallprobe {

class Histogram {
  public:
    static constexpr unsigned kSubBucketBits = 6;
    static constexpr uint64_t kSubBuckets = 1ull << kSubBucketBits;  // 64
    static constexpr uint64_t kLinearLimit = 2 * kSubBuckets;        // 128
    static constexpr size_t kBucketCount = kLinearLimit + (63 - 7 + 1) * kSubBuckets;

    void record(uint64_t value);
    void merge(const Histogram& other);

    uint64_t count() const { return count_; }
    uint64_t min() const { return count_ ? min_ : 0; }
    uint64_t max() const { return max_; }
    double mean() const {
        return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0;
    }

    // The smallest recorded value v such that at least `percent` % of the
    // recorded values are <= v (up to bucket precision, never above max()).
    uint64_t percentile(double percent) const;

    // Exposed for tests: bucket of a value and the largest value it holds.
    static size_t bucket_of(uint64_t value);
    static uint64_t highest_in_bucket(size_t bucket);

  private:
    std::array<uint64_t, kBucketCount> counts_{};
    uint64_t count_ = 0;
    uint64_t sum_ = 0;
    uint64_t min_ = UINT64_MAX;
    uint64_t max_ = 0;
};

}  // namespace smallprobe
