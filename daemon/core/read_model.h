// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// What the control commands and the HTTP endpoint read from the daemon and
// ask of it, and nothing more: the daemon's status, its listening sockets,
// its sessions (the oldest few, counted in all), its counters, a reload, the
// log level. Plain structs, no JSON: the control commands serialise them
// (control_commands.cpp), the live page and /stats.json read them directly
// (live_snapshot.cpp), and a test drives either with a fake model instead of
// a whole Daemon. Daemon implements it (daemon_read_model.cpp).

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "log.h"
#include "stats.h"

namespace smalld {

struct ReloadResult {
    bool ok = false;
    std::vector<std::string> changes;
    std::vector<std::string> errors;
};

struct StatusView {
    std::string version;  // smalld's
    int pid = 0;
    double uptime_seconds = 0;
    std::string config_path;
    std::string last_reload;  // "none", "ok", "failed: FILE:LINE: ..."
    size_t last_reload_errors = 0;
    std::string state;  // "running", "stopping"
    LogLevel log_level = LogLevel::Notice;
    uint64_t conn_current = 0;  // TCP sessions open now
    uint64_t conn_accepted_total = 0;
    size_t instances = 0;  // configured
    size_t listeners = 0;  // listening sockets
    std::string control_socket;
    std::optional<std::string> metrics_listen;  // none: no [metrics] listener
};

struct ListenerView {
    std::string instance;
    std::string type;
    std::string proto;    // "tcp", "udp"
    std::string address;  // the bound host, without brackets
    uint16_t port = 0;    // the bound port
    std::string configured;
    std::string origin;  // "config", "systemd"
};

struct SessionView {
    uint64_t id = 0;
    std::string instance;
    std::string type;
    std::string peer;
    std::string local;
    double age_seconds = 0;
    double idle_seconds = 0;
    uint64_t bytes_in = 0;
    uint64_t bytes_out = 0;
};

struct SessionList {
    std::vector<SessionView> oldest;  // by id, at most the limit asked for
    size_t open = 0;                  // every session open now
};

inline constexpr size_t kAllSessions = std::numeric_limits<size_t>::max();

class ReadModel {
  public:
    virtual ~ReadModel() = default;

    virtual StatusView status_view() const = 0;
    virtual std::vector<ListenerView> listener_views() const = 0;
    // The `limit` sessions of lowest id (the oldest) and the count of all:
    // a partial sort, so the live page's top few cost no sort of thousands.
    virtual SessionList session_views(size_t limit) const = 0;
    // Every counter (stats.h) and the sessions open now, for the renderers.
    virtual const Stats& stats() const = 0;
    virtual OpenSessions open_sessions() const = 0;

    virtual void reset_counters() = 0;
    // false: no session has this id.
    virtual bool kill_session(uint64_t id) = 0;
    // Unless forced, a reload that would close every running listener is refused.
    virtual ReloadResult reload(bool force) = 0;
    virtual void set_log_level(LogLevel level) = 0;
};

}  // namespace smalld
