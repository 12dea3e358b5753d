// SPDX-License-Identifier: BSD-2-Clause
#include "peers_report.h"

#include <nlohmann/json.hpp>

namespace smalld {

namespace {

nlohmann::json maybe(std::optional<double> v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

// Lost in one direction, in % of the packets whose fate is known (answered,
// or lost in a known direction): null when none is, never a 0 that only
// means that every loss was of unknown direction.
nlohmann::json loss_pct(uint64_t lost, uint64_t known) {
    if (known == 0) return nullptr;
    return 100.0 * double(lost) / double(known);
}

}  // namespace

nlohmann::json peers_json(const Stats& stats, int64_t now_ns) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [name, record] : stats.instances) {
        if (record->type != ServiceType::StampSender) continue;
        for (const auto& peer : record->sender.peers) {
            const stamp::SenderSession& s = peer->session;
            const stamp::PeerFigures& f = peer->figures;
            const PeerCounts c = peer->counts();
            const stamp::LossSplit& l = c.loss;
            uint64_t known = l.forward + l.backward + l.reflector + c.received;
            auto q = [&](stamp::Delay d, double p) { return maybe(f.quantile(d, p, now_ns)); };
            int64_t last = s.last_reply_ns();
            nlohmann::json hops_f =
                f.hops_forward() < 0 ? nlohmann::json(nullptr) : nlohmann::json(f.hops_forward());
            nlohmann::json hops_b =
                f.hops_backward() < 0 ? nlohmann::json(nullptr) : nlohmann::json(f.hops_backward());
            list.push_back({
                {"service", record->name},
                {"peer", peer->name},
                {"address",
                 peer->address.empty() ? nlohmann::json(nullptr) : nlohmann::json(peer->address)},
                {"up", s.up(now_ns)},
                {"sent", c.sent},
                {"received", c.received},
                {"lost",
                 {{"forward", l.forward},
                  {"backward", l.backward},
                  {"reflector", l.reflector},
                  {"unknown", l.unknown}}},
                {"loss_forward_pct", loss_pct(l.forward, known)},
                {"loss_backward_pct", loss_pct(l.backward, known)},
                {"duplicates", c.duplicates},
                {"reordered", c.reordered},
                {"reflector_resets", l.resets},
                {"window_seconds", double(f.covered_ns(now_ns)) / 1e9},
                {"rtt_p50_seconds", q(stamp::Delay::Rtt, 0.5)},
                {"rtt_p99_seconds", q(stamp::Delay::Rtt, 0.99)},
                {"network_rtt_p50_seconds", q(stamp::Delay::NetworkRtt, 0.5)},
                {"forward_p50_seconds", q(stamp::Delay::Forward, 0.5)},
                {"backward_p50_seconds", q(stamp::Delay::Backward, 0.5)},
                {"clock_error_seconds", maybe(f.clock_error_s())},
                {"hops_forward", hops_f},
                {"hops_backward", hops_b},
                {"last_seen_seconds_ago",
                 last ? nlohmann::json(double(now_ns - last) / 1e9) : nlohmann::json(nullptr)},
            });
        }
    }
    return list;
}

}  // namespace smalld
