// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The daemon: owns the event loop, the configuration in force, the listener
// set (listener_set.h), the sessions, the statistics, the control socket and
// the metrics endpoint, and wires them together: start-up (daemon.cpp),
// reload (reload.cpp), signals (daemon_signals.cpp) and shutdown. The parts
// that are policy live on their own: admission.h, session_log.h,
// privileges.h, control_socket_file.h. The control commands and the HTTP
// endpoint's pages read and steer it through the read model (read_model.h).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "config.h"
#include "event_bus.h"
#include "event_handle.h"
#include "io_buffers.h"
#include "listener_set.h"
#include "read_model.h"
#include "session.h"
#include "stats.h"

namespace smalld {

class ControlServer;
class HttpServer;
class RejectEvents;
class StampSender;

struct StartError {
    int exit_code;  // sysexits
    std::string message;
};

class Daemon : public ReadModel {
  public:
    explicit Daemon(Config config);
    ~Daemon() override;
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    std::optional<StartError> start();
    // Runs until shutdown; returns the exit code.
    int run();

    // Re-reads the file (reload.cpp). Unless forced, a reload that would close
    // every running listener is refused.
    ReloadResult reload(bool force = false) override;
    void shutdown(const char* why);
    void set_log_level(LogLevel level) override;
    // -l was given: the file's log_level no longer applies, not even on reload.
    void pin_log_level() { log_level_pinned_ = true; }

    const Config& config() const { return config_; }
    Stats& stats() { return stats_; }
    const Stats& stats() const override { return stats_; }
    SessionTable& sessions() { return *sessions_; }
    const std::vector<std::unique_ptr<Listener>>& listeners() const { return listeners_.all(); }
    event_base* base() const { return base_.get(); }
    const char* state() const { return stopping_ ? "stopping" : "running"; }
    const std::string& last_reload() const { return last_reload_; }
    // How many errors the last reload failed with (0 when it did not fail).
    size_t last_reload_errors() const { return last_reload_errors_; }
    // The sessions open now, for the gauges: from the session table, each
    // instance's AdmissionState and its service. Never part of the Stats.
    OpenSessions open_sessions() const override;
    // The status service's text; `details` adds the config path and the
    // last reload's result (a client in status's details list, privacy.h;
    // SIGUSR1's dump).
    std::string status_report(bool details) const;

    // Every event worth a monitor: session open/close, rejections, reloads,
    // for the control socket's monitors and the live page's event stream.
    EventBus& events() { return events_; }

    // The read model (read_model.h; daemon_read_model.cpp).
    StatusView status_view() const override;
    std::vector<ListenerView> listener_views() const override;
    SessionList session_views(size_t limit) const override;
    void reset_counters() override { stats_.reset_counters(); }
    bool kill_session(uint64_t id) override;

  private:
    std::shared_ptr<Instance> build_instance(const InstanceConfig& config);
    std::shared_ptr<Instance> prepare_instance(const InstanceConfig& config);
    void register_instance(Instance& instance);
    void forget_removed_instances();
    // Starts, reconfigures and ends the stamp-senders as config_ says
    // (daemon_senders.cpp); appends the reload diff's lines about peers.
    void update_senders(std::vector<std::string>* changes);
    std::optional<StartError> adopt_passed_sockets();
    void apply_daemon_settings();
    void setup_signals();
    void on_signal(int sig);
    void log_status_report(const char* why);
    void setup_watchdog();
    void check_stopped();
    std::string summary() const;

    static void on_signal_cb(evutil_socket_t sig, short, void* self);
    static void on_watchdog_cb(evutil_socket_t, short, void* self);
    static void on_stop_check_cb(evutil_socket_t, short, void* self);

    Config config_;
    Stats stats_;
    EventBaseHandle base_;
    EventBus events_;                              // before its subscribers (control_, metrics_) go
    std::unique_ptr<RejectEvents> reject_events_;  // before base_ goes
    IoBuffers buffers_;  // the loop's scratch memory, for the sessions and the UDP endpoints
    std::unique_ptr<SessionTable> sessions_;
    ListenerContext context_;
    std::map<std::string, std::shared_ptr<InstanceState>> states_;
    InstanceMap instances_;
    std::map<std::string, std::unique_ptr<StampSender>> senders_;  // before base_ goes
    ListenerSet listeners_{context_};
    std::vector<EventHandle> signals_;
    EventHandle watchdog_;
    EventHandle stop_check_;
    int64_t stop_deadline_ms_ = 0;
    bool stopping_ = false;
    std::string last_reload_ = "none";
    size_t last_reload_errors_ = 0;
    bool log_level_pinned_ = false;
    // Last members: destroyed first, while the event loop still exists.
    std::unique_ptr<ControlServer> control_;
    std::unique_ptr<HttpServer> metrics_;
};

}  // namespace smalld
