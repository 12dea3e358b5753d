// The numbers of a STAMP run, from the probes alone (no I/O): delays and
// their quantiles, loss per direction, RFC 3393 IPDV and RFC 3550 jitter,
// RFC 4737 reordering, and the fit of the minimum network RTT against size.
#include <algorithm>
#include <cmath>
#include <map>

#include "datagram_ledger.h"
#include "stamp.h"

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
    q.valid = true;
    return q;
}

StampSummary summarize(const std::vector<Probe>& probes, bool directions_meaningful) {
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
    if (pairs) {
        s.ipdv_forward_us = ipdv_f / double(pairs);
        s.ipdv_backward_us = ipdv_b / double(pairs);
        s.jitter_forward_us = j_f;
        s.jitter_backward_us = j_b;
    }
    if (!ttls.empty()) {
        int ttl = std::max_element(ttls.begin(), ttls.end(), [](auto& a, auto& b) {
                      return a.second < b.second;
                  })->first;
        s.hops = 255 - ttl;
    }
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
    if (min_net.size() >= 2) {
        // Least squares of min network RTT (us) against size (bytes).
        double n = double(min_net.size()), sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (const auto& [size, value] : min_net) {
            sx += size;
            sy += value;
            sxx += double(size) * size;
            sxy += double(size) * value;
        }
        double denominator = n * sxx - sx * sx;
        if (denominator > 0) {
            double slope_us = (n * sxy - sx * sy) / denominator;
            s.slope_ns_per_byte = slope_us * 1000.0;
            s.intercept_us = (sy - slope_us * sx) / n;
            s.fitted = true;
        }
    }
    return s;
}

namespace {

void print_quantiles(FILE* out, const char* name, const Quantiles& q, const char* note = "") {
    if (!q.valid) {
        std::fprintf(out, "  %-12s -\n", name);
        return;
    }
    std::fprintf(out, "  %-12s %10.1f %10.1f %10.1f %10.1f %10.1f%s\n", name, q.min, q.p50, q.p90,
                 q.p99, q.max, note);
}

void json_quantiles(FILE* out, const char* name, const Quantiles& q) {
    if (!q.valid) {
        std::fprintf(out, "\"%s\":null,", name);
        return;
    }
    std::fprintf(out, "\"%s\":{\"min\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f},",
                 name, q.min, q.p50, q.p90, q.p99, q.max);
}

}  // namespace

void print_stamp_summary(FILE* out, const StampOptions& o, const StampSummary& s) {
    std::fprintf(out, "--- %s stamp statistics ---\n", o.host.c_str());
    // As ping and iperf3 put it, then the split by direction.
    std::fprintf(out, "sent %llu, received %llu, lost %llu (%.3g%%)", (unsigned long long)s.sent,
                 (unsigned long long)s.received, (unsigned long long)s.lost,
                 loss_percent(s.sent, s.lost));
    if (s.stateful)
        std::fprintf(out,
                     " (%llu forward, %llu backward, %llu unknown direction: stateful reflector)",
                     (unsigned long long)s.lost_forward, (unsigned long long)s.lost_backward,
                     (unsigned long long)s.lost_unknown);
    else
        std::fprintf(out, " (direction unknown: stateless reflector)");
    std::fprintf(out, ", %llu duplicates, %llu reordered", (unsigned long long)s.duplicates,
                 (unsigned long long)s.reordered);
    if (s.hops >= 0)
        std::fprintf(out, ", %d hops\n", s.hops);
    else
        std::fprintf(out, ", hops unknown\n");
    if (s.auth_failures || s.short_replies)
        std::fprintf(out, "%llu replies failed authentication, %llu were too short\n",
                     (unsigned long long)s.auth_failures, (unsigned long long)s.short_replies);
    std::fprintf(out, "  delay (us)          min        p50        p90        p99        max\n");
    print_quantiles(out, "rtt", s.rtt, "  T4 - T1");
    print_quantiles(out, "network rtt", s.network_rtt, "  (T4 - T1) - (T3 - T2)");
    print_quantiles(out, "processing", s.processing, "  T3 - T2");
    const char* caveat =
        s.directions_meaningful ? "" : "  (clocks not synchronised: offset included)";
    print_quantiles(out, "forward", s.forward, s.directions_meaningful ? "  T2 - T1" : caveat);
    print_quantiles(out, "backward", s.backward, s.directions_meaningful ? "  T4 - T3" : caveat);
    std::fprintf(out,
                 "  jitter (us)   forward: IPDV %.1f, RFC 3550 %.1f   backward: IPDV %.1f, RFC "
                 "3550 %.1f\n",
                 s.ipdv_forward_us, s.jitter_forward_us, s.ipdv_backward_us, s.jitter_backward_us);
    std::fprintf(out, "  the four delays:\n");
    if (s.fitted) {
        std::fprintf(
            out, "    propagation + fixed  %10.1f us   intercept of min network rtt over size\n",
            s.intercept_us);
        std::fprintf(out, "    transmission         %10.3f ns/byte (both directions)",
                     s.slope_ns_per_byte);
        if (s.slope_ns_per_byte > 0)
            std::fprintf(out, ", bottleneck ~ %.1f Mbit/s\n", 2 * 8e3 / s.slope_ns_per_byte);
        else
            std::fprintf(out, ", too small to measure\n");
        for (const auto& [size, value] : s.min_network_rtt_by_size)
            std::fprintf(out, "      %5u bytes: min network rtt %.1f us, transmission %.1f us\n",
                         size, value, std::max(0.0, s.slope_ns_per_byte) * size / 1000.0);
    } else {
        std::fprintf(
            out, "    propagation + transmission  min network rtt %.1f us (--sizes splits them)\n",
            s.network_rtt.min);
    }
    std::fprintf(out, "    processing           %10.1f us p50, %.1f us p99   T3 - T2\n",
                 s.processing.p50, s.processing.p99);
    std::fprintf(
        out,
        "    queuing              %10.1f us p50, %.1f us p99   network rtt - min for its size\n",
        s.queuing.p50, s.queuing.p99);
}

void print_stamp_json(FILE* out, const StampSummary& s) {
    // The directions are null where they cannot be known (a stateless
    // reflector); lost_unknown is what no count attributes.
    std::fprintf(out,
                 "{\"sent\":%llu,\"received\":%llu,\"lost\":%llu,\"loss_pct\":%.4f,"
                 "\"lost_forward\":%s,\"lost_backward\":%s,\"lost_unknown\":%llu,"
                 "\"duplicates\":%llu,\"reordered\":%llu,",
                 (unsigned long long)s.sent, (unsigned long long)s.received,
                 (unsigned long long)s.lost, loss_percent(s.sent, s.lost),
                 s.stateful ? std::to_string(s.lost_forward).c_str() : "null",
                 s.stateful ? std::to_string(s.lost_backward).c_str() : "null",
                 (unsigned long long)s.lost_unknown, (unsigned long long)s.duplicates,
                 (unsigned long long)s.reordered);
    if (s.hops >= 0)
        std::fprintf(out, "\"hops\":%d,", s.hops);
    else
        std::fprintf(out, "\"hops\":null,");
    json_quantiles(out, "rtt", s.rtt);
    json_quantiles(out, "network_rtt", s.network_rtt);
    json_quantiles(out, "processing", s.processing);
    json_quantiles(out, "forward", s.forward);
    json_quantiles(out, "backward", s.backward);
    json_quantiles(out, "queuing", s.queuing);
    std::fprintf(out,
                 "\"directions_meaningful\":%s,\"stateful_reflector\":%s,"
                 "\"auth_failures\":%llu,\"short_replies\":%llu,"
                 "\"jitter\":{\"forward\":{\"ipdv\":%.3f,\"rfc3550\":%.3f},"
                 "\"backward\":{\"ipdv\":%.3f,\"rfc3550\":%.3f}},",
                 s.directions_meaningful ? "true" : "false", s.stateful ? "true" : "false",
                 (unsigned long long)s.auth_failures, (unsigned long long)s.short_replies,
                 s.ipdv_forward_us, s.jitter_forward_us, s.ipdv_backward_us, s.jitter_backward_us);
    std::fprintf(out, "\"ops_per_s\":%.1f,", s.ops_per_s);
    if (s.server_cpu_us_per_op >= 0)
        std::fprintf(out, "\"server_cpu_us_per_op\":%.3f,", s.server_cpu_us_per_op);
    // For bench/summarize.py, which reads every mode's latency here.
    std::fprintf(out, "\"latency_us\":{\"count\":%llu,\"p50\":%.3f,\"p99\":%.3f},",
                 (unsigned long long)s.received, s.rtt.p50, s.rtt.p99);
    std::fprintf(out, "\"decomposition\":{");
    if (s.fitted)
        std::fprintf(out, "\"propagation_fixed\":%.3f,\"transmission_ns_per_byte\":%.4f,",
                     s.intercept_us, s.slope_ns_per_byte);
    std::fprintf(
        out,
        "\"processing_p50\":%.3f,\"queuing_p50\":%.3f,\"queuing_p99\":%.3f,\"min_network_rtt\":{",
        s.processing.p50, s.queuing.p50, s.queuing.p99);
    bool first = true;
    for (const auto& [size, value] : s.min_network_rtt_by_size) {
        std::fprintf(out, "%s\"%u\":%.3f", first ? "" : ",", size, value);
        first = false;
    }
    std::fprintf(out, "}}}\n");
}

}  // namespace smallprobe
