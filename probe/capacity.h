// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// What a STAMP run says about the path's bandwidth, pure (no I/O):
//
// Packet trains (--train N). A train is N packets sent back to back; the
// narrowest link of a direction spaces them by its transmission time, and
// the spacing survives the faster links after it. The forward capacity is
// a packet's bits over the spacing of the reflector's receive times T2; the
// backward one over the spacing of the sender's receive times T4. A train's
// spacing is the Theil-Sen slope of its times against the packets' places
// (the median over every pair of packets), so that a packet the host
// delayed does not move it. The replies start the backward path
// already spaced by the forward bottleneck (their send times T3): a train
// that arrives no wider apart than it left was not spaced by the backward
// link, and says only that the link is at least as fast. Likewise on the
// forward path against the sender's own spacing (T1). Each train is judged
// alone; a direction is exact when at least half the trains measured its
// link (the median over them), else a lower bound (the median over all).
// Only whole trains count (no packet lost, duplicated or reordered).
//
// The size sweep (--sizes). The minimum network RTT of each size against
// the size, by least squares: the intercept is propagation and fixed
// costs, the slope the transmission time per byte of both directions. The
// fit states its R² and residual, and names a transmission rate only when
// the minima grow with the size and the line fits them.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace smallprobe {

struct Probe;

// Replies must arrive this much wider apart than they left (or requests
// than they were sent) for the spacing to be the link's own.
constexpr double kWiderBy = 1.1;

struct DirectionCapacity {
    bool known = false;
    double bps = 0;            // bits per second at the IP layer
    bool lower_bound = false;  // the direction is at least this fast
    std::string reason;        // why unknown, or why only a lower bound
};

struct CapacityEstimate {
    bool measured = false;      // --train was given
    uint32_t train_length = 0;  // packets per train
    uint64_t trains = 0;        // trains sent
    uint64_t trains_used = 0;   // whole trains: none lost, duplicated, reordered
    uint32_t packet_bytes = 0;  // one packet at the IP layer (UDP payload + headers)
    // Medians over the trains used of the per-packet spacing (ns) of the
    // send times T1, the reflector's receive (T2) and send (T3) times and
    // the sender's receive times T4.
    double spacing_t1_ns = 0, spacing_t2_ns = 0, spacing_t3_ns = 0, spacing_t4_ns = 0;
    DirectionCapacity forward, backward;
};

// `probes` in sending order, train k being probes [k * N, (k + 1) * N);
// `header_bytes` the IP and UDP headers of one packet (28 IPv4, 48 IPv6).
// train_length < 2: not measured.
CapacityEstimate estimate_capacity(const std::vector<Probe>& probes, uint32_t train_length,
                                   uint32_t header_bytes);

// The median of the values (the mean of the middle two); 0 when empty.
double median(std::vector<double> values);

// Below this R², the line does not explain the minima well enough to name
// a rate from its slope.
constexpr double kMinimumR2 = 0.9;

struct SizeFit {
    bool fitted = false;  // two sizes or more (and not all one size)
    double intercept_us = 0, slope_ns_per_byte = 0;
    double r2 = 0;           // of the minima about the line; 1: every one on it
    double residual_us = 0;  // root mean square distance of the minima from it
    bool monotonic = false;  // each size's minimum >= every smaller size's
    bool rate_named = false;
    double rate_bps = 0;  // 2 / slope: the rate of each direction, if alike
    std::string reason;   // why no rate is named
};

// `min_by_size`: (size in bytes, minimum network RTT in us), by size.
SizeFit fit_sizes(const std::vector<std::pair<uint32_t, double>>& min_by_size);

// The summary's lines: none without --train; else the trains used, then
// "    forward     49.5 Mbit/s", "    backward >= 49.3 Mbit/s   lower bound:
// WHY" or "    forward   -   WHY".
std::vector<std::string> capacity_lines(const CapacityEstimate& c);
// -j: {"train_length", "trains", "trains_used", "packet_bytes", "spacing_ns",
// "forward": {"bps", "bound": "exact" | "lower", "reason"}, "backward"};
// null where unknown, a reason where unknown or a bound.
std::string capacity_json(const CapacityEstimate& c);
// -j's "decomposition_fit": {"r2", "residual_us", "monotonic", "rate_bps",
// "reason"}; null where unknown, the reason null when a rate is named.
std::string fit_json(const SizeFit& f);

// A rate in SI bits per second, as the rest of smallprobe: "49.5 Mbit/s",
// "830 kbit/s", "1.20 Gbit/s".
std::string bits_per_second_text(double bps);

}  // namespace smallprobe
