// SPDX-License-Identifier: BSD-2-Clause
#include "live_history.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "stats.h"

namespace smalld {

namespace {

// Counters go back to zero on `stats reset`: a step down is no traffic.
double per_second(double now, double then, double seconds) {
    return now > then && seconds > 0 ? (now - then) / seconds : 0;
}

double increase(double now, double then) {
    return now > then ? now - then : 0;
}

double round3(double value) {
    return double(int64_t(value * 1000 + 0.5)) / 1000;
}

std::string row_key(const LiveHistory::Row& row) {
    return row.first + "/" + row.second;
}

}  // namespace

void LiveHistory::sample(const Stats& stats, int64_t now_ms, int64_t wall_ns) {
    Sample s;
    s.ms = now_ms;
    uint64_t index = taken_++;
    size_t slot = index % kSamples;
    std::string key;
    for (const auto& [name, record] : stats.instances) {
        if (!wall_ns || record->type != ServiceType::StampSender) continue;
        for (const auto& peer : record->sender.peers) {
            const PeerCounts c = peer->counts();
            const stamp::LossSplit& l = c.loss;
            key.assign(record->name).append("/").append(peer->name);
            auto [it, fresh] = peers_.try_emplace(key);
            PeerTrack& t = it->second;
            if (fresh) t.since = index;
            t.last = index;
            auto rtt = peer->figures.quantile(stamp::Delay::Rtt, 0.5, wall_ns);
            t.rtt[slot] = rtt ? float(*rtt) : std::numeric_limits<float>::quiet_NaN();
            double lost_total = double(l.forward + l.backward + l.reflector + l.unknown);
            double lost = increase(lost_total, t.lost_total);
            double settled = lost + increase(double(c.received), t.received_total);
            double scale = settled > 65535 ? 65535 / settled : 1;
            t.lost[slot] = uint16_t(std::lround(lost * scale));
            t.settled[slot] = uint16_t(std::lround(settled * scale));
            t.lost_total = lost_total;
            t.received_total = double(c.received);
        }
    }
    // Peers no longer configured: their sparklines end with them.
    std::erase_if(peers_, [&](const auto& entry) { return entry.second.last != index; });
    // Rates of counters only: the gauges of what is open play no part.
    visit_stats(
        stats, OpenSessions{},
        [&](const StatSample& v) {
            if (v.key == "reload.failed_total") s.reloads_failed = v.value;
            if (v.instance.empty() || v.proto.empty() || !v.le.empty()) return;
            if (v.key == "stamp.auth_failures_total") s.auth_failures += v.value;
            bool refused = v.key == "conn.rejected_total";
            if ((refused || v.key == "datagrams_dropped_total") && !v.reason.empty()) {
                double Counts::*field = refused ? &Counts::refused : &Counts::dropped;
                s.rows[Row(v.instance, v.proto)].*field += v.value;
                s.total.*field += v.value;
                s.reasons[std::string(refused ? "refused " : "dropped ") + std::string(v.reason)] +=
                    v.value;
                return;
            }
            if (!v.reason.empty()) return;
            double Counts::*field = nullptr;
            if (v.key == "sessions_total")
                field = &Counts::sessions;
            else if (v.key == "datagrams_in_total")
                field = &Counts::datagrams;
            else if (v.key == "read_bytes_total" || v.key == "written_bytes_total")
                field = &Counts::bytes;
            else if (v.key == "stamp.reflected_total")
                field = &Counts::reflected;
            if (!field) return;
            s.rows[Row(v.instance, v.proto)].*field += v.value;
            s.total.*field += v.value;
        },
        PeerSamples::Skip);
    samples_.push_back(std::move(s));
    while (samples_.size() > kSamples) samples_.pop_front();
}

LiveRates LiveHistory::rates() const {
    LiveRates out;
    if (samples_.empty()) return out;
    const Sample& now = samples_.back();
    const Sample& then = samples_[samples_.size() - std::min(samples_.size(), kRateWindow + 1)];
    double seconds = double(now.ms - then.ms) / 1000.0;
    for (const auto& [row, counts] : now.rows) {
        Counts before;
        if (auto it = then.rows.find(row); it != then.rows.end()) before = it->second;
        Counts& rate = out[row];
        rate.sessions = round3(per_second(counts.sessions, before.sessions, seconds));
        rate.datagrams = round3(per_second(counts.datagrams, before.datagrams, seconds));
        rate.bytes = round3(per_second(counts.bytes, before.bytes, seconds));
        rate.reflected = round3(per_second(counts.reflected, before.reflected, seconds));
    }
    return out;
}

nlohmann::json LiveHistory::series() const {
    nlohmann::json sessions = nlohmann::json::array();
    nlohmann::json datagrams = nlohmann::json::array();
    nlohmann::json bytes = nlohmann::json::array();
    nlohmann::json problems = nlohmann::json::object();
    nlohmann::json rows = nlohmann::json::object();
    // The reasons and rows that had any in the window.
    std::map<std::string, bool> reasons;
    std::map<Row, bool> seen;
    for (size_t i = 1; i < samples_.size(); ++i)
        for (const auto& [reason, n] : samples_[i].reasons)
            reasons[reason] |= increase(n, samples_[i - 1].reasons.count(reason)
                                               ? samples_[i - 1].reasons.at(reason)
                                               : 0) > 0;
    if (!samples_.empty())
        for (const auto& [row, counts] : samples_.back().rows) seen[row] = true;
    for (size_t i = 1; i < samples_.size(); ++i) {
        const Sample& a = samples_[i - 1];
        const Sample& b = samples_[i];
        double seconds = double(b.ms - a.ms) / 1000.0;
        sessions.push_back(round3(per_second(b.total.sessions, a.total.sessions, seconds)));
        datagrams.push_back(round3(per_second(b.total.datagrams, a.total.datagrams, seconds)));
        bytes.push_back(round3(per_second(b.total.bytes, a.total.bytes, seconds)));
        for (const auto& [reason, any] : reasons) {
            if (!any) continue;
            auto now = b.reasons.find(reason);
            auto then = a.reasons.find(reason);
            problems[reason].push_back(
                round3(per_second(now != b.reasons.end() ? now->second : 0,
                                  then != a.reasons.end() ? then->second : 0, seconds)));
        }
        for (const auto& [row, unused] : seen) {
            Counts now, then;
            if (auto it = b.rows.find(row); it != b.rows.end()) now = it->second;
            if (auto it = a.rows.find(row); it != a.rows.end()) then = it->second;
            nlohmann::json& r = rows[row_key(row)];
            r["traffic"].push_back(round3(
                per_second(now.sessions + now.datagrams, then.sessions + then.datagrams, seconds)));
            r["problems"].push_back(round3(
                per_second(now.refused + now.dropped, then.refused + then.dropped, seconds)));
        }
    }
    return {{"step_seconds", 1},       {"slots", kSamples - 1},     {"sessions", sessions},
            {"datagrams", datagrams},  {"bytes", std::move(bytes)}, {"problems", problems},
            {"rows", std::move(rows)}, {"peers", peer_series()}};
}

nlohmann::json LiveHistory::peer_series() const {
    nlohmann::json out = nlohmann::json::object();
    // samples_[i] is sample number first + i; a step is a sample and the
    // one before it, so the first sample kept has none.
    uint64_t first = taken_ - samples_.size();
    for (const auto& [key, t] : peers_) {
        nlohmann::json rtt = nlohmann::json::array(), loss = nlohmann::json::array();
        for (uint64_t i = first + 1; i < taken_; ++i) {
            if (i < t.since) {
                rtt.push_back(nullptr);
                loss.push_back(nullptr);
                continue;
            }
            size_t slot = i % kSamples;
            rtt.push_back(std::isnan(t.rtt[slot]) ? nlohmann::json() : nlohmann::json(t.rtt[slot]));
            loss.push_back(t.settled[slot]
                               ? nlohmann::json(round3(100.0 * t.lost[slot] / t.settled[slot]))
                               : nlohmann::json());
        }
        out[key] = {{"rtt", std::move(rtt)}, {"loss", std::move(loss)}};
    }
    return out;
}

nlohmann::json LiveHistory::problems() const {
    double dropped = 0, refused = 0, auth = 0, reloads = 0;
    std::map<Row, Counts> rows;
    for (size_t i = 1; i < samples_.size(); ++i) {
        const Sample& a = samples_[i - 1];
        const Sample& b = samples_[i];
        dropped += increase(b.total.dropped, a.total.dropped);
        refused += increase(b.total.refused, a.total.refused);
        auth += increase(b.auth_failures, a.auth_failures);
        reloads += increase(b.reloads_failed, a.reloads_failed);
        for (const auto& [row, now] : b.rows) {
            Counts then;
            if (auto it = a.rows.find(row); it != a.rows.end()) then = it->second;
            rows[row].dropped += increase(now.dropped, then.dropped);
            rows[row].refused += increase(now.refused, then.refused);
        }
    }
    nlohmann::json by_row = nlohmann::json::object();
    for (const auto& [row, counts] : rows)
        if (counts.dropped > 0 || counts.refused > 0)
            by_row[row_key(row)] = {{"dropped", counts.dropped}, {"refused", counts.refused}};
    double seconds =
        samples_.size() > 1 ? double(samples_.back().ms - samples_.front().ms) / 1000.0 : 0;
    return {{"seconds", round3(seconds)}, {"dropped", dropped},        {"refused", refused},
            {"auth_failures", auth},      {"reloads_failed", reloads}, {"rows", std::move(by_row)}};
}

}  // namespace smalld
