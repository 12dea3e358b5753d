// SPDX-License-Identifier: BSD-2-Clause
#include "reject_events.h"

#include <nlohmann/json.hpp>

#include "contain.h"
#include "stats.h"

namespace smalld {

namespace {

constexpr timeval kWindow = {1, 0};
// Every source past kMaxSources in a second.
constexpr SourceKey kOtherSources = {~uint64_t(0), ~uint64_t(0)};

}  // namespace

RejectEvents::RejectEvents(event_base* base, Stats& stats, Wanted wanted, Emit emit)
    : stats_(stats),
      wanted_(std::move(wanted)),
      emit_(std::move(emit)),
      tick_(evtimer_new(base, on_tick_cb, this)) {}

void RejectEvents::on_tick_cb(evutil_socket_t, short, void* self) {
    contain("monitor events", [&] { static_cast<RejectEvents*>(self)->flush(); });
}

nlohmann::json RejectEvents::event(const Key& key, const Window& window, uint64_t count) {
    return {{"event", "rejected"}, {"instance", key.instance}, {"proto", key.proto},
            {"peer", window.peer}, {"reason", key.reason},     {"count", count}};
}

void RejectEvents::note(const std::string& instance, const char* proto, const SockAddr& peer,
                        const char* reason) {
    KeyView view{instance, proto, reason, source_key(peer)};
    auto it = windows_.find(view);
    if (it == windows_.end() && windows_.size() >= kMaxSources) {
        view.source = kOtherSources;
        it = windows_.find(view);
    }
    if (it != windows_.end()) {
        // The flood path: a count, no JSON, no allocation.
        ++it->second.coalesced;
        ++stats_.counters.control_events_coalesced_total;
        return;
    }
    if (windows_.empty()) event_add(tick_.get(), &kWindow);
    bool others = view.source == kOtherSources;
    Key key{instance, view.proto, view.reason, view.source};
    Window& window = windows_[key];
    window.peer = others ? "*" : peer.to_string();
    if (wanted_()) emit_(event(key, window, 1));
}

void RejectEvents::flush() {
    event_del(tick_.get());
    auto windows = std::move(windows_);
    windows_.clear();
    for (const auto& [key, window] : windows)
        if (window.coalesced > 0 && wanted_()) emit_(event(key, window, window.coalesced));
}

}  // namespace smalld
