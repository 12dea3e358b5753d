// SPDX-License-Identifier: BSD-2-Clause
// The counters themselves; stats_visit.cpp walks them for the renderers.
#include "stats.h"

#include "keyword.h"

namespace smalld {

namespace {

// The reasons' names, as the log, the stats and the monitor events write them.
constexpr Keyword<RejectReason> kRejectNames[] = {{"acl", RejectReason::Acl},
                                                  {"limit", RejectReason::Limit},
                                                  {"per_source", RejectReason::PerSource},
                                                  {"rate", RejectReason::Rate},
                                                  {"fd", RejectReason::Fd}};
constexpr Keyword<DropReason> kDropNames[] = {{"acl", DropReason::Acl},
                                              {"rate", DropReason::Rate},
                                              {"loop", DropReason::Loop},
                                              {"amplification", DropReason::Amplification},
                                              {"send", DropReason::Send}};
static_assert(std::size(kRejectNames) == size_t(RejectReason::Count));
static_assert(std::size(kDropNames) == size_t(DropReason::Count));

}  // namespace

const char* to_string(RejectReason reason) {
    return word_of(reason, kRejectNames);
}

const char* to_string(DropReason reason) {
    return word_of(reason, kDropNames);
}

void StampStats::observe_processing(int64_t nanos) {
    if (nanos < 0) nanos = 0;
    double seconds = double(nanos) * 1e-9;
    size_t bucket = 0;
    while (bucket < std::size(kBounds) && seconds > kBounds[bucket]) ++bucket;
    ++processing[bucket];
    ++processing_count;
    processing_sum_ns += uint64_t(nanos);
}

void DurationHistogram::observe(double seconds) {
    for (size_t i = 0; i < bounds.size(); ++i)
        if (seconds <= bounds[i]) {
            ++in_bucket[i];
            break;
        }
    ++count;
    sum += seconds;
}

std::shared_ptr<InstanceStats> Stats::record(std::string_view name, ServiceType type) {
    auto it = instances.find(name);
    if (it == instances.end()) {
        auto record = std::make_shared<InstanceStats>();
        record->name = name;
        it = instances.emplace(std::string(name), std::move(record)).first;
    }
    it->second->type = type;
    it->second->configured = true;
    return it->second;
}

size_t Stats::drop_unused() {
    size_t dropped = 0;
    for (auto it = instances.begin(); it != instances.end();) {
        if (it->second.use_count() == 1) {
            it = instances.erase(it);
            ++dropped;
        } else {
            ++it;
        }
    }
    return dropped;
}

double Stats::unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

double Stats::uptime_seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

PeerCounts SenderPeerStats::counts() const {
    const stamp::LossSplit& l = session.loss();
    return {session.sent() - base.sent,
            session.received() - base.received,
            session.duplicates() - base.duplicates,
            session.reordered() - base.reordered,
            {l.counted, l.forward - base.loss.forward, l.reflector - base.loss.reflector,
             l.backward - base.loss.backward, l.unknown - base.loss.unknown,
             l.resets - base.loss.resets}};
}

void SenderPeerStats::reset_counts() {
    // The packets in flight are counted after the reset, with their fates.
    base = {session.sent() - session.in_flight(), session.received(), session.duplicates(),
            session.reordered(), session.loss()};
    figures.reset_histograms();
}

void Stats::reset_counters() {
    counters = {};
    for (auto& [name, record] : instances) {
        record->tcp = ProtoStats{};
        record->udp = ProtoStats{};
        record->stamp = StampStats{};
        record->session_duration = DurationHistogram{};
        record->sender.dropped = {};
        record->sender.send_errors = 0;
        for (auto& peer : record->sender.peers) peer->reset_counts();
    }
}

OpenSessions::PerInstance OpenSessions::of(std::string_view instance) const {
    auto it = instances.find(instance);
    return it == instances.end() ? PerInstance{} : it->second;
}

}  // namespace smalld
