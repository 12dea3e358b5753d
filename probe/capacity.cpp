// SPDX-License-Identifier: BSD-2-Clause
// Packet-train capacity per direction and the size sweep's fit (capacity.h).
#include "capacity.h"

#include "json_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "stamp.h"

namespace smallprobe {

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    size_t half = v.size() / 2;
    return v.size() % 2 ? v[half] : (v[half - 1] + v[half]) / 2;
}

namespace {

std::string us_text(double ns) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f us", ns / 1000.0);
    return text;
}

// One timestamp's spacing along a train: the Theil-Sen slope of the times
// against the packets' places, the median over every pair of packets of
// their time apart over their places apart. A packet the host delayed (a
// receive timestamp taken late, a packet bunched with the next) moves a
// few pairs, not the median; (last - first) / (n - 1) moves with it.
template <typename Time>
double spacing(const Probe* train, uint32_t n, Time time) {
    std::vector<double> slopes;
    slopes.reserve(size_t(n) * (n - 1) / 2);
    for (uint32_t i = 0; i < n; ++i)
        for (uint32_t j = i + 1; j < n; ++j)
            slopes.push_back(double(time(train[j]) - time(train[i])) / double(j - i));
    return median(std::move(slopes));
}

// When a packet was handed to the kernel: the clock read before send(),
// also where the kernel's transmit time replaced it as T1 or T3. A kernel
// transmit time is taken after the sending host's own queue (a shaper on
// its interface spaces it already); what a train measures is how fast the
// packets were offered.
int64_t offered_t1(const Probe& p) {
    return p.t1_user ? p.t1_user : p.t1;
}
int64_t offered_t3(const Probe& p) {
    return p.t3_user ? p.t3_user : p.t3;
}

// A train's per-packet spacing of each timestamp; false when the train
// cannot be used: a packet lost or duplicated, or one reordered on either
// path (the reflector received, sent or we received them out of order).
struct Spacing {
    double t1 = 0, t2 = 0, t3 = 0, t4 = 0;
};
bool train_spacing(const Probe* train, uint32_t n, Spacing* out) {
    for (uint32_t i = 0; i < n; ++i) {
        const Probe& p = train[i];
        if (!p.received || p.copies != 1 || p.size != train[0].size) return false;
        if (i > 0) {
            const Probe& q = train[i - 1];
            if (p.arrival < q.arrival || p.t2 < q.t2 || offered_t3(p) < offered_t3(q) ||
                p.t4 < q.t4)
                return false;
        }
    }
    *out = {spacing(train, n, offered_t1), spacing(train, n, [](const Probe& p) { return p.t2; }),
            spacing(train, n, offered_t3), spacing(train, n, [](const Probe& p) { return p.t4; })};
    return true;
}

}  // namespace

CapacityEstimate estimate_capacity(const std::vector<Probe>& probes, uint32_t n,
                                   uint32_t header_bytes) {
    CapacityEstimate c;
    if (n < 2) {
        c.forward.reason = c.backward.reason = "not measured (--train N)";
        return c;
    }
    c.measured = true;
    c.train_length = n;
    c.trains = probes.size() / n;
    std::vector<Spacing> used;
    std::vector<double> s1, s2, s3, s4;
    for (uint64_t k = 0; k < c.trains; ++k) {
        Spacing s;
        if (!train_spacing(&probes[k * n], n, &s)) continue;
        used.push_back(s);
        s1.push_back(s.t1);
        s2.push_back(s.t2);
        s3.push_back(s.t3);
        s4.push_back(s.t4);
        c.packet_bytes = probes[k * n].size + header_bytes;
    }
    c.trains_used = used.size();
    if (c.trains_used == 0) {
        c.forward.reason = c.backward.reason =
            "no train came back whole (each lost, duplicated or reordered a packet)";
        return c;
    }
    c.spacing_t1_ns = median(s1);
    c.spacing_t2_ns = median(s2);
    c.spacing_t3_ns = median(s3);
    c.spacing_t4_ns = median(s4);
    double bits = 8.0 * c.packet_bytes;
    // Train by train: a train that arrived wider apart than it started
    // measured the link; one that did not, only that the link is at least
    // as fast (every train's figure is at most the link's). Exact when at
    // least half the trains measured the link (a reflector that answers a
    // train at once, having been busy, sends it back to back again).
    auto judge = [&](DirectionCapacity& d, double Spacing::*in, double Spacing::*out,
                     const char* in_name, const char* out_name, const char* hidden_by) {
        std::vector<double> exact, all, ins, outs;
        for (const Spacing& s : used) {
            if (s.*out <= 0) continue;
            all.push_back(bits * 1e9 / (s.*out));
            if (s.*out >= s.*in * kWiderBy) exact.push_back(all.back());
            ins.push_back(s.*in);
            outs.push_back(s.*out);
        }
        if (all.empty()) {
            d.reason = std::string(out_name) + " do not spread (timestamps too coarse)";
            return;
        }
        d.known = true;
        if (exact.size() * 2 >= used.size()) {
            d.bps = median(exact);
            return;
        }
        d.lower_bound = true;
        d.bps = median(all);
        d.reason = std::string(out_name) + " " + us_text(median(outs)) + " apart, " + in_name +
                   " already " + us_text(median(ins)) + " (" +
                   std::to_string(all.size() - exact.size()) + " of " +
                   std::to_string(used.size()) + " trains): " + hidden_by;
    };
    judge(c.forward, &Spacing::t1, &Spacing::t2, "sent (T1)", "received by the reflector (T2)",
          "the sender did not send the train faster than the path carried it");
    judge(c.backward, &Spacing::t3, &Spacing::t4, "left the reflector (T3)",
          "replies received (T4)",
          "the forward bottleneck spaced the replies wider than the backward link would");
    return c;
}

SizeFit fit_sizes(const std::vector<std::pair<uint32_t, double>>& minima) {
    SizeFit f;
    f.reason = "one packet size (--sizes gives two or more)";
    if (minima.size() < 2) return f;
    double n = double(minima.size()), sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (const auto& [size, value] : minima) {
        sx += size;
        sy += value;
        sxx += double(size) * size;
        sxy += double(size) * value;
    }
    double denominator = n * sxx - sx * sx;
    if (denominator <= 0) return f;
    f.reason.clear();
    double slope_us = (n * sxy - sx * sy) / denominator;
    f.fitted = true;
    f.slope_ns_per_byte = slope_us * 1000.0;
    f.intercept_us = (sy - slope_us * sx) / n;
    double mean = sy / n, residuals = 0, total = 0;
    for (const auto& [size, value] : minima) {
        double off = value - (f.intercept_us + slope_us * size);
        residuals += off * off;
        total += (value - mean) * (value - mean);
    }
    f.residual_us = std::sqrt(residuals / n);
    f.r2 = total > 0 ? 1.0 - residuals / total : 0.0;
    f.monotonic = true;
    char why[160] = "";
    for (size_t i = 1; i < minima.size() && f.monotonic; ++i)
        if (minima[i].second < minima[i - 1].second) {
            f.monotonic = false;
            std::snprintf(why, sizeof why,
                          "the minima do not grow with the size (%u bytes: %.1f us, %u bytes: "
                          "%.1f us)",
                          minima[i - 1].first, minima[i - 1].second, minima[i].first,
                          minima[i].second);
        }
    if (!f.monotonic)
        f.reason = why;
    else if (minima.size() < 3)
        f.reason = "two sizes: any line fits two points (give three or more)";
    else if (f.slope_ns_per_byte <= 0)
        f.reason = "the minima do not grow with the size: transmission too small to measure";
    else if (f.r2 < kMinimumR2) {
        std::snprintf(why, sizeof why, "the fit is poor (R² %.3f < %.1f, residual %.1f us)", f.r2,
                      kMinimumR2, f.residual_us);
        f.reason = why;
    } else {
        f.rate_named = true;
        f.rate_bps = 2 * 8e9 / f.slope_ns_per_byte;
    }
    return f;
}

std::string bits_per_second_text(double bps) {
    char text[32];
    if (bps >= 1e9)
        std::snprintf(text, sizeof text, "%.2f Gbit/s", bps / 1e9);
    else if (bps >= 1e6)
        std::snprintf(text, sizeof text, "%.1f Mbit/s", bps / 1e6);
    else
        std::snprintf(text, sizeof text, "%.0f kbit/s", bps / 1e3);
    return text;
}

namespace {

std::string direction_json(const DirectionCapacity& d) {
    std::string bound = d.known ? (d.lower_bound ? "\"lower\"" : "\"exact\"") : "null";
    std::string out = "{\"bps\":" + json_fixed(d.known, 0, d.bps) + ",\"bound\":" + bound;
    if (!d.reason.empty()) out += ",\"reason\":" + json_quoted(d.reason);
    return out + "}";
}

std::string direction_line(const char* name, const DirectionCapacity& d) {
    if (!d.known) return std::string("    ") + name + "    -   " + d.reason;
    std::string line = std::string("    ") + name + (d.lower_bound ? " >= " : "    ") +
                       bits_per_second_text(d.bps);
    if (d.lower_bound) line += "   lower bound: " + d.reason;
    return line;
}

}  // namespace

std::vector<std::string> capacity_lines(const CapacityEstimate& c) {
    if (!c.measured) return {};
    char head[160];
    std::snprintf(head, sizeof head,
                  "  capacity: %llu of %llu trains of %u packets whole, %u bytes each (IP)",
                  (unsigned long long)c.trains_used, (unsigned long long)c.trains, c.train_length,
                  c.packet_bytes);
    std::vector<std::string> lines = {head};
    if (c.trains_used)
        lines.back() += "; median spacing T1 " + us_text(c.spacing_t1_ns) + ", T2 " +
                        us_text(c.spacing_t2_ns) + ", T3 " + us_text(c.spacing_t3_ns) + ", T4 " +
                        us_text(c.spacing_t4_ns);
    lines.push_back(direction_line("forward ", c.forward));
    lines.push_back(direction_line("backward", c.backward));
    return lines;
}

std::string capacity_json(const CapacityEstimate& c) {
    bool used = c.trains_used > 0;
    std::string out = "{\"train_length\":" + json_fixed(c.measured, 0, c.train_length) +
                      ",\"trains\":" + std::to_string(c.trains) +
                      ",\"trains_used\":" + std::to_string(c.trains_used) +
                      ",\"packet_bytes\":" + json_fixed(used, 0, c.packet_bytes) +
                      ",\"spacing_ns\":";
    if (used)
        out += "{\"t1\":" + json_fixed(true, 0, c.spacing_t1_ns) +
               ",\"t2\":" + json_fixed(true, 0, c.spacing_t2_ns) +
               ",\"t3\":" + json_fixed(true, 0, c.spacing_t3_ns) +
               ",\"t4\":" + json_fixed(true, 0, c.spacing_t4_ns) + "}";
    else
        out += "null";
    return out + ",\"forward\":" + direction_json(c.forward) +
           ",\"backward\":" + direction_json(c.backward) + "}";
}

std::string fit_json(const SizeFit& f) {
    return "{\"r2\":" + json_fixed(f.fitted, 4, f.r2) +
           ",\"residual_us\":" + json_fixed(f.fitted, 3, f.residual_us) +
           ",\"monotonic\":" + (f.fitted ? (f.monotonic ? "true" : "false") : "null") +
           ",\"rate_bps\":" + json_fixed(f.rate_named, 0, f.rate_bps) +
           ",\"reason\":" + (f.rate_named ? "null" : json_quoted(f.reason)) + "}";
}

}  // namespace smallprobe
