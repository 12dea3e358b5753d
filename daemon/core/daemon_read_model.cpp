// SPDX-License-Identifier: BSD-2-Clause
// The daemon as the control commands and the HTTP endpoint see it
// (read_model.h): plain structs, built on request.
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "build_config.h"
#include "daemon.h"

namespace smalld {

StatusView Daemon::status_view() const {
    StatusView v;
    v.version = SMALLD_VERSION;
    v.pid = int(getpid());
    v.uptime_seconds = stats_.uptime_seconds();
    v.config_path = config_.path;
    v.last_reload = last_reload_;
    v.last_reload_errors = last_reload_errors_;
    v.state = state();
    v.log_level = log::level();
    v.conn_current = open_sessions().tcp;
    v.conn_accepted_total = stats_.counters.conn_accepted_total;
    v.instances = config_.instances.size();
    v.listeners = listeners().size();
    v.control_socket = config_.control.socket;
    if (config_.metrics.listen) v.metrics_listen = config_.metrics.listen->to_string();
    return v;
}

std::vector<ListenerView> Daemon::listener_views() const {
    std::vector<ListenerView> out;
    out.reserve(listeners().size());
    for (const auto& l : listeners())
        out.push_back({l->instance().config.name, to_string(l->instance().config.type),
                       to_string(l->proto()), l->actual().host(), l->actual().port(),
                       l->configured().to_string(), to_string(l->origin())});
    return out;
}

SessionList Daemon::session_views(size_t limit) const {
    // Ids and pointers only, then the `limit` lowest ids: views are built for
    // those alone.
    std::vector<std::pair<uint64_t, const Session*>> all;
    sessions_->for_each([&](const Session& s) { all.emplace_back(s.id(), &s); });
    SessionList list;
    list.open = all.size();
    size_t shown = std::min(limit, all.size());
    std::partial_sort(all.begin(), all.begin() + long(shown), all.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
    int64_t now = monotonic_ms();
    list.oldest.reserve(shown);
    for (size_t i = 0; i < shown; ++i) {
        const Session& s = *all[i].second;
        list.oldest.push_back({s.id(), s.instance().config.name,
                               to_string(s.instance().config.type), s.peer().to_string(),
                               s.local().to_string(), double(now - s.opened_ms()) / 1000.0,
                               double(now - s.active_ms()) / 1000.0, s.bytes_in(), s.bytes_out()});
    }
    return list;
}

bool Daemon::kill_session(uint64_t id) {
    return sessions_->kill(id);
}

}  // namespace smalld
