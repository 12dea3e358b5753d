// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A read model (read_model.h) without a Daemon: two sessions, one listener,
// counters a test sets, and a record of what was asked of it.

#include <algorithm>
#include <optional>
#include <vector>

#include "read_model.h"

namespace smalld::testing {

class FakeModel : public ReadModel {
  public:
    Stats counters;
    std::string last_reload = "ok";
    size_t last_reload_errors = 0;
    std::vector<SessionView> sessions = {
        {7, "echo", "echo", "192.0.2.7:4000", "127.0.0.1:7", 2.5, 0.5, 10, 20},
        {3, "chargen", "chargen", "[2001:db8::3]:5000", "[::1]:19", 9, 1, 0, 4096}};
    std::vector<ListenerView> listeners = {
        {"echo", "echo", "tcp", "::1", 7007, "[::1]:7", "config"}};
    mutable std::optional<size_t> limit_asked;
    std::vector<uint64_t> killed;
    bool reset = false;
    std::optional<bool> reload_forced;
    std::optional<LogLevel> level;

    StatusView status_view() const override {
        StatusView v;
        v.version = "9.9";
        v.pid = 42;
        v.uptime_seconds = 61.5;
        v.config_path = "/etc/smalld/smalld.ini";
        v.last_reload = last_reload;
        v.last_reload_errors = last_reload_errors;
        v.state = "running";
        v.log_level = LogLevel::Info;
        v.conn_current = 2;
        v.conn_accepted_total = 5;
        v.instances = 2;
        v.listeners = listeners.size();
        v.control_socket = "/run/smalld/control";
        return v;
    }
    std::vector<ListenerView> listener_views() const override { return listeners; }
    SessionList session_views(size_t limit) const override {
        limit_asked = limit;
        SessionList list{sessions, sessions.size()};
        std::sort(list.oldest.begin(), list.oldest.end(),
                  [](const auto& a, const auto& b) { return a.id < b.id; });
        if (list.oldest.size() > limit) list.oldest.resize(limit);
        return list;
    }
    const Stats& stats() const override { return counters; }
    OpenSessions open_sessions() const override { return {}; }
    void reset_counters() override { reset = true; }
    bool kill_session(uint64_t id) override {
        killed.push_back(id);
        return id == 7;
    }
    ReloadResult reload(bool force) override {
        reload_forced = force;
        return {false, {}, {"smalld.ini:3: rate: expected N/s, got \"x\""}};
    }
    void set_log_level(LogLevel l) override { level = l; }
};

}  // namespace smalld::testing
