// SPDX-License-Identifier: BSD-2-Clause
#include "live_history.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "stats.h"

namespace smalld {

namespace {

// Counters go back to zero on `stats reset`: a step down is no traffic.
double per_second(double now, double then, double seconds) {
    return now > then && seconds > 0 ? (now - then) / seconds : 0;
}

double round3(double value) {
    return double(int64_t(value * 1000 + 0.5)) / 1000;
}

}  // namespace

void LiveHistory::sample(const Stats& stats, int64_t now_ms) {
    Sample s;
    s.ms = now_ms;
    // Rates of counters only: the gauges of what is open play no part.
    visit_stats(stats, OpenSessions{}, [&](const StatSample& v) {
        if (v.instance.empty() || v.proto.empty() || !v.reason.empty() || !v.le.empty()) return;
        double LiveHistory::Counts::*field = nullptr;
        if (v.key == "sessions_total")
            field = &Counts::sessions;
        else if (v.key == "datagrams_in_total")
            field = &Counts::datagrams;
        else if (v.key == "read_bytes_total" || v.key == "written_bytes_total")
            field = &Counts::bytes;
        if (!field) return;
        s.rows[Row(v.instance, v.proto)].*field += v.value;
        s.total.*field += v.value;
    });
    samples_.push_back(std::move(s));
    while (samples_.size() > kSamples) samples_.pop_front();
}

nlohmann::json LiveHistory::rates() const {
    nlohmann::json out = nlohmann::json::object();
    if (samples_.empty()) return out;
    const Sample& now = samples_.back();
    const Sample& then = samples_[samples_.size() - std::min(samples_.size(), kRateWindow + 1)];
    double seconds = double(now.ms - then.ms) / 1000.0;
    for (const auto& [row, counts] : now.rows) {
        Counts before;
        if (auto it = then.rows.find(row); it != then.rows.end()) before = it->second;
        out[row.first][row.second] = {
            {"sessions", round3(per_second(counts.sessions, before.sessions, seconds))},
            {"datagrams", round3(per_second(counts.datagrams, before.datagrams, seconds))},
            {"bytes", round3(per_second(counts.bytes, before.bytes, seconds))}};
    }
    return out;
}

nlohmann::json LiveHistory::series() const {
    nlohmann::json sessions = nlohmann::json::array();
    nlohmann::json datagrams = nlohmann::json::array();
    nlohmann::json bytes = nlohmann::json::array();
    for (size_t i = 1; i < samples_.size(); ++i) {
        const Sample& a = samples_[i - 1];
        const Sample& b = samples_[i];
        double seconds = double(b.ms - a.ms) / 1000.0;
        sessions.push_back(round3(per_second(b.total.sessions, a.total.sessions, seconds)));
        datagrams.push_back(round3(per_second(b.total.datagrams, a.total.datagrams, seconds)));
        bytes.push_back(round3(per_second(b.total.bytes, a.total.bytes, seconds)));
    }
    return {{"step_seconds", 1},
            {"slots", kSamples - 1},
            {"sessions", std::move(sessions)},
            {"datagrams", std::move(datagrams)},
            {"bytes", std::move(bytes)}};
}

}  // namespace smalld
