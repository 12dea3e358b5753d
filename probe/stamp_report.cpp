// SPDX-License-Identifier: BSD-2-Clause
// smallprobe stamp's summary and interval lines for people (as ping and
// iperf3 put them: loss with its percentage, min/avg/max/mdev, one unit per
// table, "-" where there is no data) and its -j object (raw microseconds).
#include <algorithm>
#include <string>

#include "datagram_ledger.h"
#include "stamp.h"

namespace smallprobe {
namespace {

void print_quantiles(FILE* out, Unit unit, const char* name, const Quantiles& q,
                     const char* note = "") {
    if (!q.valid) {
        std::fprintf(out, "  %-12s %10s\n", name, "-");
        return;
    }
    std::fprintf(out, "  %-12s", name);
    for (double v : {q.min, q.avg, q.p50, q.p90, q.p99, q.max, q.mdev})
        std::fprintf(out, " %s", delay_cell(v, unit, true).c_str());
    std::fprintf(out, "%s\n", note);
}

// "0.051/0.062/0.080/0.010 ms", or "-" without values.
std::string min_avg_max_mdev(const Quantiles& q, Unit unit) {
    if (!q.valid) return "-";
    return delay_text(q.min, unit) + "/" + delay_text(q.avg, unit) + "/" + delay_text(q.max, unit) +
           "/" + delay_text(q.mdev, unit) + " " + unit_name(unit);
}

// "12.3 us" in the table's unit, or "-".
std::string with_unit(double us, Unit unit, bool valid) {
    return valid ? delay_text(us, unit) + " " + unit_name(unit) : "-";
}

void json_quantiles(FILE* out, const char* name, const Quantiles& q) {
    if (!q.valid) {
        std::fprintf(out, "\"%s\":null,", name);
        return;
    }
    std::fprintf(out,
                 "\"%s\":{\"min\":%.3f,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f,"
                 "\"avg\":%.3f,\"mdev\":%.3f},",
                 name, q.min, q.p50, q.p90, q.p99, q.max, q.avg, q.mdev);
}

}  // namespace

void print_stamp_interval(FILE* out, Unit wanted, double from_s, double to_s, uint64_t sent,
                          const std::vector<double>& rtt_us, const std::vector<double>& proc_us) {
    Quantiles r = quantiles(rtt_us), p = quantiles(proc_us);
    Unit unit = resolve_unit(wanted, r.valid ? r.p50 : -1);
    std::fprintf(out,
                 "[%6.2f-%6.2f s] sent %llu, received %zu, rtt min/avg/max/mdev %s, "
                 "processing p50 %s\n",
                 from_s, to_s, (unsigned long long)sent, rtt_us.size(),
                 min_avg_max_mdev(r, unit).c_str(), with_unit(p.p50, unit, p.valid).c_str());
}

void print_stamp_interval(FILE* out, Unit unit, double from_s, double to_s, uint64_t sent,
                          const std::vector<Probe>& probes, const std::vector<size_t>& arrivals,
                          size_t first) {
    std::vector<double> rtt, proc;
    for (size_t i = first; i < arrivals.size(); ++i) {
        const Probe& p = probes[arrivals[i]];
        rtt.push_back(double(p.t4 - p.t1) / 1000.0);
        proc.push_back(double(p.t3 - p.t2) / 1000.0);
    }
    print_stamp_interval(out, unit, from_s, to_s, sent, rtt, proc);
}

void print_stamp_summary(FILE* out, const StampOptions& o, const StampSummary& s,
                         int terminal_columns) {
    Unit unit = resolve_unit(o.unit, s.rtt.valid ? s.rtt.p50 : -1);
    const char* u = unit_name(unit);
    std::fprintf(out, "--- %s stamp statistics ---\n", o.host.c_str());
    // As ping and iperf3 put it, then the split by direction.
    std::fprintf(out, "sent %llu, received %llu, lost %llu (%.3g%%)", (unsigned long long)s.sent,
                 (unsigned long long)s.received, (unsigned long long)s.lost,
                 loss_percent(s.sent, s.lost));
    if (s.received == 0)
        std::fprintf(out, " (direction unknown; stateful/stateless reflector: unknown)");
    else if (s.counted)
        std::fprintf(out,
                     " (%llu forward, %llu dropped by the reflector, %llu backward, %llu unknown "
                     "direction: reflector counters)",
                     (unsigned long long)s.lost_forward, (unsigned long long)s.lost_reflector,
                     (unsigned long long)s.lost_backward, (unsigned long long)s.lost_unknown);
    else if (s.stateful)
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
    // Never folded into loss: the packets of an interval with a reset are
    // of unknown direction.
    if (s.reflector_resets)
        std::fprintf(out, "reflector session reset %llu times\n",
                     (unsigned long long)s.reflector_resets);
    std::fprintf(out, "rtt min/avg/max/mdev = %s\n", min_avg_max_mdev(s.rtt, unit).c_str());
    if (s.auth_failures || s.short_replies)
        std::fprintf(out, "%llu replies failed authentication, %llu were too short\n",
                     (unsigned long long)s.auth_failures, (unsigned long long)s.short_replies);
    std::fprintf(out, "  %-12s", ("delay (" + std::string(u) + ")").c_str());
    for (const char* column : {"min", "avg", "p50", "p90", "p99", "max", "mdev"})
        std::fprintf(out, " %10s", column);
    std::fprintf(out, "\n");
    print_quantiles(out, unit, "rtt", s.rtt, "  T4 - T1");
    print_quantiles(out, unit, "network rtt", s.network_rtt, "  (T4 - T1) - (T3 - T2)");
    print_quantiles(out, unit, "processing", s.processing, "  T3 - T2");
    // Each one-way figure with its error bound (stamp_timestamping.h).
    std::string bound = one_way_bound_text(s.timestamps);
    std::string caveat = "  (clocks not synchronised: offset included)" + bound;
    print_quantiles(out, unit, "forward", s.forward,
                    (s.directions_meaningful ? "  T2 - T1" + bound : caveat).c_str());
    print_quantiles(out, unit, "backward", s.backward,
                    (s.directions_meaningful ? "  T4 - T3" + bound : caveat).c_str());
    bool j = s.jitter_valid;
    std::fprintf(
        out, "  jitter (%s)%*sforward: IPDV %s, RFC 3550 %s   backward: IPDV %s, RFC 3550 %s\n", u,
        int(5 - std::string(u).size()), "", j ? delay_text(s.ipdv_forward_us, unit).c_str() : "-",
        j ? delay_text(s.jitter_forward_us, unit).c_str() : "-",
        j ? delay_text(s.ipdv_backward_us, unit).c_str() : "-",
        j ? delay_text(s.jitter_backward_us, unit).c_str() : "-");
    std::fprintf(out, "  the four delays:\n");
    const SizeFit& fit = s.fit;
    if (fit.fitted) {
        std::fprintf(out,
                     "    propagation + fixed  %10s %s   intercept of min network rtt over size\n",
                     delay_text(fit.intercept_us, unit).c_str(), u);
        std::fprintf(out,
                     "    transmission         %10.3f ns/byte (both directions), fit R² %.3f, "
                     "residual %s: ",
                     fit.slope_ns_per_byte, fit.r2, with_unit(fit.residual_us, unit, true).c_str());
        if (fit.rate_named)
            std::fprintf(out, "bottleneck ~ %s each way\n",
                         bits_per_second_text(fit.rate_bps).c_str());
        else
            std::fprintf(out, "no rate named, %s\n", fit.reason.c_str());
        for (const auto& [size, value] : s.min_network_rtt_by_size)
            std::fprintf(out, "      %5u bytes: min network rtt %s, transmission %s\n", size,
                         with_unit(value, unit, true).c_str(),
                         with_unit(std::max(0.0, fit.slope_ns_per_byte) * size / 1000.0, unit, true)
                             .c_str());
    } else {
        std::fprintf(out,
                     "    propagation + transmission  min network rtt %s (--sizes splits them)\n",
                     with_unit(s.network_rtt.min, unit, s.network_rtt.valid).c_str());
    }
    std::fprintf(out, "    processing           %10s p50, %s p99   T3 - T2\n",
                 with_unit(s.processing.p50, unit, s.processing.valid).c_str(),
                 with_unit(s.processing.p99, unit, s.processing.valid).c_str());
    std::fprintf(out,
                 "    queuing              %10s p50, %s p99   network rtt - min for its size\n",
                 with_unit(s.queuing.p50, unit, s.queuing.valid).c_str(),
                 with_unit(s.queuing.p99, unit, s.queuing.valid).c_str());
    print_reply_extensions(out, s.extensions);
    print_timestamp_lines(out, s.timestamps);
    for (const std::string& line : capacity_lines(s.capacity))
        std::fprintf(out, "%s\n", line.c_str());
    if (o.histogram) {
        std::fprintf(out, "rtt histogram (%llu replies):\n", (unsigned long long)s.received);
        for (const std::string& line :
             histogram_lines(s.rtt_values_us, unit, histogram_bar_columns(terminal_columns)))
            std::fprintf(out, "%s\n", line.c_str());
    }
}

void print_stamp_json(FILE* out, const StampSummary& s) {
    // The directions are null where they cannot be known (a stateless
    // reflector; the reflector's drops and resets without its counters);
    // lost_unknown is what no count attributes.
    auto known = [](bool k, uint64_t v) { return k ? std::to_string(v) : std::string("null"); };
    bool split = s.stateful || s.counted;
    std::fprintf(out,
                 "{\"sent\":%llu,\"received\":%llu,\"lost\":%llu,\"loss_pct\":%.4f,"
                 "\"lost_forward\":%s,\"lost_backward\":%s,\"lost_reflector\":%s,"
                 "\"lost_unknown\":%llu,\"reflector_resets\":%s,"
                 "\"duplicates\":%llu,\"reordered\":%llu,",
                 (unsigned long long)s.sent, (unsigned long long)s.received,
                 (unsigned long long)s.lost, loss_percent(s.sent, s.lost),
                 known(split, s.lost_forward).c_str(), known(split, s.lost_backward).c_str(),
                 known(s.counted, s.lost_reflector).c_str(), (unsigned long long)s.lost_unknown,
                 known(s.counted, s.reflector_resets).c_str(), (unsigned long long)s.duplicates,
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
    json_reply_extensions(out, s.extensions);
    print_timestamp_json(out, s.timestamps);
    std::fprintf(out, "\"ops_per_s\":%.1f,", s.ops_per_s);
    if (s.server_cpu_us_per_op >= 0)
        std::fprintf(out, "\"server_cpu_us_per_op\":%.3f,", s.server_cpu_us_per_op);
    // For bench/summarize.py, which reads every mode's latency here.
    std::fprintf(out, "\"latency_us\":{\"count\":%llu,\"p50\":%.3f,\"p99\":%.3f},",
                 (unsigned long long)s.received, s.rtt.p50, s.rtt.p99);
    std::fprintf(out, "\"decomposition\":{");
    if (s.fit.fitted)
        std::fprintf(out, "\"propagation_fixed\":%.3f,\"transmission_ns_per_byte\":%.4f,",
                     s.fit.intercept_us, s.fit.slope_ns_per_byte);
    std::fprintf(
        out,
        "\"processing_p50\":%.3f,\"queuing_p50\":%.3f,\"queuing_p99\":%.3f,\"min_network_rtt\":{",
        s.processing.p50, s.queuing.p50, s.queuing.p99);
    bool first = true;
    for (const auto& [size, value] : s.min_network_rtt_by_size) {
        std::fprintf(out, "%s\"%u\":%.3f", first ? "" : ",", size, value);
        first = false;
    }
    std::fprintf(out, "}},\"decomposition_fit\":%s,\"capacity\":%s}\n", fit_json(s.fit).c_str(),
                 capacity_json(s.capacity).c_str());
}

bool write_samples(FILE* f, const StampOptions& o, const std::vector<Probe>& probes) {
    bool jsonl = samples_as_jsonl(o.samples, o.samples_format);
    if (!jsonl) std::fputs(samples_csv_header().c_str(), f);
    for (size_t i = 0; i < probes.size(); ++i)
        std::fputs((jsonl ? sample_jsonl_row(i, probes[i]) : sample_csv_row(i, probes[i])).c_str(),
                   f);
    bool ok = !std::ferror(f);
    return (f == stdout ? std::fflush(f) == 0 : std::fclose(f) == 0) && ok;
}

}  // namespace smallprobe
