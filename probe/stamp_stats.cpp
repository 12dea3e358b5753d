// SPDX-License-Identifier: BSD-2-Clause
// The numbers of a STAMP run, from the probes alone (no I/O): delays and
// their quantiles, loss per direction, RFC 3393 IPDV and RFC 3550 jitter,
// RFC 4737 reordering, and the fit of the minimum network RTT against size.
#include <algorithm>
#include <cmath>
#include <map>

#include "datagram_ledger.h"
#include "stamp.h"
#include "stamp_loss.h"

namespace smallprobe {

Quantiles quantiles(std::vector<double> v) {
    Quantiles q;
    if (v.empty()) return q;
    std::sort(v.begin(), v.end());
    auto at = [&](double p) {
        size_t i = static_cast<size_t>(std::ceil(p / 100.0 * double(v.size())));
        return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
    };
    q.min = v.front();
    q.p50 = at(50);
    q.p90 = at(90);
    q.p99 = at(99);
    q.max = v.back();
    double sum = 0, squares = 0;
    for (double x : v) sum += x;
    q.avg = sum / double(v.size());
    // In two passes: E[(x - avg)^2], equal to ping's E[x^2] - avg^2 without
    // its cancellation when the values are large and close together.
    for (double x : v) squares += (x - q.avg) * (x - q.avg);
    q.mdev = std::sqrt(squares / double(v.size()));
    q.valid = true;
    return q;
}

StampSummary summarize(const std::vector<Probe>& probes, bool directions_meaningful,
                       const std::vector<Probe>& closing) {
    StampSummary s;
    s.sent = probes.size();
    s.directions_meaningful = directions_meaningful;
    std::vector<double> rtt, net, proc, fwd, bwd;
    std::map<uint32_t, double> min_net;  // by size
    std::map<int, uint64_t> ttls;
    int64_t max_reflector = -1;
    size_t last_with_max = 0;
    const Probe* previous = nullptr;
    double ipdv_f = 0, ipdv_b = 0, j_f = 0, j_b = 0;
    uint64_t pairs = 0;
    std::vector<std::pair<uint64_t, size_t>> arrivals;  // arrival order, index
    for (size_t i = 0; i < probes.size(); ++i) {
        const Probe& p = probes[i];
        if (!p.received) continue;
        ++s.received;
        s.duplicates += p.copies > 1 ? p.copies - 1 : 0;
        arrivals.push_back({p.arrival, i});
        double r = double(p.t4 - p.t1) / 1000.0;
        double pr = double(p.t3 - p.t2) / 1000.0;
        rtt.push_back(r);
        proc.push_back(pr);
        net.push_back(r - pr);
        fwd.push_back(double(p.t2 - p.t1) / 1000.0);
        bwd.push_back(double(p.t4 - p.t3) / 1000.0);
        auto [it, added] = min_net.try_emplace(p.size, r - pr);
        if (!added) it->second = std::min(it->second, r - pr);
        if (p.ttl > 0) ++ttls[p.ttl];
        if (int64_t(p.reflector_seq) > max_reflector) {
            max_reflector = p.reflector_seq;
            last_with_max = i;
        }
        if (previous) {
            double d_f = double((p.t2 - p.t1) - (previous->t2 - previous->t1)) / 1000.0;
            double d_b = double((p.t4 - p.t3) - (previous->t4 - previous->t3)) / 1000.0;
            ipdv_f += std::fabs(d_f);
            ipdv_b += std::fabs(d_b);
            j_f += (std::fabs(d_f) - j_f) / 16.0;
            j_b += (std::fabs(d_b) - j_b) / 16.0;
            ++pairs;
        }
        previous = &p;
    }
    s.lost = s.sent - s.received;
    // RFC 4737: a packet is reordered when it arrives after one with a
    // higher sequence number.
    std::sort(arrivals.begin(), arrivals.end());
    size_t highest = 0;
    bool any = false;
    for (const auto& [order, index] : arrivals) {
        if (any && index < highest)
            ++s.reordered;
        else
            highest = index;
        any = true;
    }
    // A stateless reflector returns our sequence number; a stateful one its
    // own count from 0, which the sender's numbers (from 2^24 up) never meet.
    for (const Probe& p : probes)
        if (p.received) {
            s.stateful = p.reflector_seq != p.seq;
            break;
        }
    s.lost_unknown = s.lost;
    if (s.stateful && max_reflector >= 0) {
        // The reflector's count between the first packet it answered and the
        // one with its highest count, against what we sent in between. The
        // session may be older than this run, so its count need not start at
        // 0, and nothing says whether it saw the packets after its highest
        // count: losses before the first and after that one stay unknown.
        size_t first = 0;
        while (!probes[first].received) ++first;
        int64_t origin = probes[first].reflector_seq;
        uint64_t reached = uint64_t(max_reflector - origin) + 1;
        uint64_t sent_between = last_with_max - first + 1;
        uint64_t lost_between = 0;
        for (size_t i = first; i <= last_with_max; ++i) lost_between += !probes[i].received;
        s.lost_forward =
            std::min(lost_between, sent_between > reached ? sent_between - reached : 0);
        s.lost_backward = lost_between - s.lost_forward;
        s.lost_unknown = s.lost - lost_between;
    }
    // The reflector's own counts, where its replies carry them, split
    // exactly and replace the estimate from its sequence numbers.
    LossSplit split = split_loss(probes, closing);
    if (split.counted) {
        s.counted = true;
        s.lost_forward = split.forward;
        s.lost_reflector = split.reflector;
        s.lost_backward = split.backward;
        s.lost_unknown = split.unknown;
        s.reflector_resets = split.resets;
    }
    if (pairs) {
        s.ipdv_forward_us = ipdv_f / double(pairs);
        s.ipdv_backward_us = ipdv_b / double(pairs);
        s.jitter_forward_us = j_f;
        s.jitter_backward_us = j_b;
        s.jitter_valid = true;
    }
    if (!ttls.empty()) {
        int ttl = std::max_element(ttls.begin(), ttls.end(), [](auto& a, auto& b) {
                      return a.second < b.second;
                  })->first;
        s.hops = 255 - ttl;
    }
    s.rtt_values_us = rtt;
    s.rtt = quantiles(rtt);
    s.network_rtt = quantiles(net);
    s.processing = quantiles(proc);
    s.forward = quantiles(fwd);
    s.backward = quantiles(bwd);
    // Queuing: each probe's network RTT minus the minimum for its size.
    std::vector<double> queuing;
    for (const Probe& p : probes)
        if (p.received)
            queuing.push_back(
                std::max(0.0, double((p.t4 - p.t1) - (p.t3 - p.t2)) / 1000.0 - min_net[p.size]));
    s.queuing = quantiles(queuing);
    for (const auto& [size, value] : min_net) s.min_network_rtt_by_size.push_back({size, value});
    s.fit = fit_sizes(s.min_network_rtt_by_size);
    return s;
}

}  // namespace smallprobe
