// SPDX-License-Identifier: BSD-2-Clause
// The stamp-sender's samples for visit_stats(): per peer (labels service and
// peer) the smalld_stamp_peer_* families its `export` key keeps, then the
// replies dropped by reason. A figure not known yet (no reply, one size
// only) is NaN, never a 0 that would read as a measurement.
#include <cmath>

#include "stamp_sender_peers.h"
#include "stats.h"

namespace smalld {

namespace {

using Visit = std::function<void(const StatSample&)>;

struct Histo {
    const char* family;  // "stamp_peer.rtt_seconds"
    const char* help;
    stamp::Delay delay;
    unsigned bit;
};
const Histo kHistograms[] = {
    {"stamp_peer.rtt_seconds", "STAMP round trip to the peer, T4 - T1, in seconds.",
     stamp::Delay::Rtt, kExportRtt},
    {"stamp_peer.network_rtt_seconds",
     "STAMP round trip less the reflector's processing, (T4 - T1) - (T3 - T2), in seconds.",
     stamp::Delay::NetworkRtt, kExportNetworkRtt},
    {"stamp_peer.forward_delay_seconds",
     "STAMP one-way delay to the peer, T2 - T1, in seconds (bounded by clock_error_seconds).",
     stamp::Delay::Forward, kExportOneWay},
    {"stamp_peer.backward_delay_seconds",
     "STAMP one-way delay from the peer, T4 - T3, in seconds (bounded by clock_error_seconds).",
     stamp::Delay::Backward, kExportOneWay},
};

void visit_delay(const Histo& h, const SenderPeerStats& peer, StatSample s, const Visit& visit) {
    static const auto labels = histogram_labels(stamp::kDelayBuckets);
    const stamp::DelayHistogram& d = peer.figures.histogram(h.delay);
    s.help = h.help;
    visit_histogram(s, h.family, labels, d.buckets, d.count, d.sum, visit);
}

double known(std::optional<double> v) {
    return v ? *v : std::nan("");
}

void visit_peer(const SenderPeerStats& p, unsigned exported, int64_t now_ns, StatSample s,
                const Visit& visit) {
    s.peer = p.name;
    for (const Histo& h : kHistograms)
        if (exported & h.bit) visit_delay(h, p, s, visit);
    auto one = [&](const char* key, const char* help, bool counter, double value,
                   std::string_view direction = {}) {
        StatSample c = s;
        c.key = key;
        c.help = help;
        c.counter = counter;
        c.direction = direction;
        c.value = value;
        visit(c);
    };
    const PeerCounts counts = p.counts();
    if (exported & kExportCounters) {
        one("stamp_peer.sent_total", "STAMP test packets sent to the peer.", true,
            double(counts.sent));
        one("stamp_peer.received_total", "STAMP replies matched to a packet sent to the peer.",
            true, double(counts.received));
    }
    if (exported & kExportLoss) {
        const char* help =
            "STAMP packets lost, by direction from the reflector's counts: forward, backward, "
            "reflector (dropped by it) or unknown; counted once settled (timeout).";
        const stamp::LossSplit& l = counts.loss;
        one("stamp_peer.lost_total", help, true, double(l.forward), "forward");
        one("stamp_peer.lost_total", help, true, double(l.backward), "backward");
        one("stamp_peer.lost_total", help, true, double(l.reflector), "reflector");
        one("stamp_peer.lost_total", help, true, double(l.unknown), "unknown");
    }
    if (exported & kExportCounters) {
        one("stamp_peer.duplicates_total", "STAMP replies received more than once (copies).", true,
            double(counts.duplicates));
        one("stamp_peer.reordered_total",
            "STAMP replies that arrived after a reply to a later packet.", true,
            double(counts.reordered));
        one("stamp_peer.reflector_resets_total",
            "Times the peer's reflector session started again (its counts fell).", true,
            double(counts.loss.resets));
    }
    one("stamp_peer.up",
        "1 if the peer answered within the last 3 intervals or the timeout, whichever is longer.",
        false, p.session.up(now_ns) ? 1 : 0);
    if (exported & kExportHops) {
        const char* help = "IP hops to (forward) and from (backward) the peer; NaN: unknown.";
        int f = p.figures.hops_forward(), b = p.figures.hops_backward();
        one("stamp_peer.hops", help, false, f < 0 ? std::nan("") : f, "forward");
        one("stamp_peer.hops", help, false, b < 0 ? std::nan("") : b, "backward");
    }
    if (exported & kExportClock)
        one("stamp_peer.clock_error_seconds",
            "Combined error bound of the one-way delays (both clocks' Error Estimates); 0: one "
            "clock; NaN: no reply yet.",
            false, known(p.figures.clock_error_s()));
    if (exported & kExportCapacity) {
        one("stamp_peer.propagation_seconds",
            "Round-trip delay at size 0 from the least network RTT by size over the last 1-2 "
            "windows (a size list); NaN: "
            "not known.",
            false, known(p.figures.propagation_s()));
        one("stamp_peer.bottleneck_bits_per_second",
            "Bottleneck capacity from the least network RTT by size over the last 1-2 windows (a "
            "size list); NaN: not known.",
            false, known(p.figures.bottleneck_bps()));
    }
}

}  // namespace

void visit_sender_stats(const Stats& stats, int64_t now_ns, const Visit& visit, PeerSamples peers) {
    for (const auto& [name, record] : stats.instances) {
        if (record->type != ServiceType::StampSender || peers == PeerSamples::Skip) continue;
        StatSample s;
        s.instance = record->name;
        for (const auto& peer : record->sender.peers)
            visit_peer(*peer, record->sender.exported, now_ns, s, visit);
    }
    for (const auto& [name, record] : stats.instances) {
        if (record->type != ServiceType::StampSender) continue;
        for (size_t r = 0; r < stamp::kReplyDropReasons; ++r) {
            StatSample s;
            s.key = "stamp_sender.replies_dropped_total";
            s.help = "STAMP replies the sender dropped, by reason.";
            s.instance = record->name;
            s.reason = stamp::to_string(stamp::ReplyDrop(r));
            s.value = double(record->sender.dropped[r]);
            visit(s);
        }
    }
}

}  // namespace smalld
