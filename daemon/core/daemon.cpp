// SPDX-License-Identifier: BSD-2-Clause
#include "daemon.h"

#include <sys/resource.h>

#include <nlohmann/json.hpp>

#include "contain.h"
#include "control_server.h"
#include "http_server.h"
#include "log.h"
#include "log_journal.h"
#include "notify.h"
#include "privileges.h"
#include "reject_events.h"
#include "services.h"
#include "session_log.h"
#include "socket_activation.h"
#include "stamp_sender.h"

namespace smalld {

namespace {

constexpr timeval kStopCheckInterval = {0, 20'000};
// Descriptors kept free for the control socket, the log and the like.
constexpr unsigned kReservedFds = 32;

}  // namespace

Daemon::Daemon(Config config) : config_(std::move(config)) {}

Daemon::~Daemon() {
    senders_.clear();
    control_.reset();  // unlinks the socket
    metrics_.reset();
    listeners_.close_all();
    sessions_.reset();
    signals_.clear();
    watchdog_.reset();
    stop_check_.reset();
    log::detach();
}

std::shared_ptr<Instance> Daemon::build_instance(const InstanceConfig& config) {
    auto instance = prepare_instance(config);
    register_instance(*instance);
    return instance;
}

// An instance that nothing serves yet, and that no report shows: a reload that
// fails later leaves no trace of it.
std::shared_ptr<Instance> Daemon::prepare_instance(const InstanceConfig& config) {
    auto instance = std::make_shared<Instance>();
    instance->config = config;
    instance->service =
        make_service(config, [this](bool details) { return status_report(details); });
    return instance;
}

// From here on the instance is served: its counters and per-source state exist.
void Daemon::register_instance(Instance& instance) {
    const InstanceConfig& config = instance.config;
    instance.stats = stats_.record(config.name, config.type);
    instance.stats->note_listeners(!config.tcp.empty(), !config.udp.empty());
    instance.stats->max_connections = config.max_connections;
    auto& state = states_[config.name];
    if (!state) state = std::make_shared<InstanceState>();
    instance.state = state;
    instance.service->attach(*instance.stats, *instance.state);
}

OpenSessions Daemon::open_sessions() const {
    OpenSessions open;
    open.tcp = sessions_ ? sessions_->size() : 0;
    // An instance a reload removed keeps its state while its sessions run.
    for (const auto& [name, state] : states_)
        open.instances[name].tcp = state->admission.tcp_sessions;
    for (const auto& [name, instance] : instances_)
        if (instance) open.instances[name].stamp = instance->service->sessions_kept();
    return open;
}

void Daemon::apply_daemon_settings() {
    sessions_->log_connections = config_.daemon.log_connections;
    sessions_->high_water = config_.daemon.output_buffer;
    rlimit nofile{};
    getrlimit(RLIMIT_NOFILE, &nofile);
    // Sessions get what the rest may not need: the daemon's own files, one
    // per listener, and the control socket's and metrics endpoint's caps.
    unsigned others = kReservedFds;
    for (const auto& instance : config_.instances)
        others += unsigned(instance.tcp.size() + instance.udp.size());
    if (!config_.control.socket.empty()) others += unsigned(ControlServer::kMaxClients + 1);
    if (config_.metrics.listen) others += unsigned(HttpServer::kMaxFds);
    rlim_t limit = std::min<rlim_t>(nofile.rlim_cur, 1u << 30);
    unsigned fd_bound = limit > others + kReservedFds ? unsigned(limit) - others : kReservedFds;
    unsigned wanted = config_.daemon.max_connections;
    context_.max_connections = wanted == 0 ? fd_bound : std::min(wanted, fd_bound);
    if (wanted > fd_bound)
        LOG_WARNING("max_connections %u exceeds what RLIMIT_NOFILE (%llu) allows; using %u", wanted,
                    static_cast<unsigned long long>(nofile.rlim_cur), fd_bound);
}

std::optional<StartError> Daemon::adopt_passed_sockets() {
    std::vector<ActivatedSocket> passed;
    if (auto error = take_activated_sockets(config_, passed)) return StartError{78, *error};
    for (auto& socket : passed) {
        auto& instance = instances_[socket.config->name];
        if (!instance) instance = build_instance(*socket.config);
        instance->stats->note_listeners(socket.proto == Proto::Tcp, socket.proto == Proto::Udp);
        listeners_.adopt(Listener::create(context_, instance, socket.proto, socket.addr,
                                          std::move(socket.fd), Origin::Systemd));
    }
    return std::nullopt;
}

std::optional<StartError> Daemon::start() {
    base_.reset(event_base_new());
    if (!base_) return StartError{71, "cannot create the event loop"};
    log::attach(base_.get());
    sessions_ = std::make_unique<SessionTable>(base_.get(), stats_, buffers_);
    reject_events_ = std::make_unique<RejectEvents>(
        base_.get(), stats_, [this] { return events_.wanted(); },
        [this](const nlohmann::json& event) { events_.publish(event); });
    sessions_->on_open = [this](const Session& s) {
        if (config_.daemon.log_connections) log_session_open(s);
        if (events_.wanted())
            events_.publish({{"event", "session_open"},
                             {"id", s.id()},
                             {"instance", s.instance().config.name},
                             {"peer", s.peer().to_string()}});
    };
    sessions_->on_close = [this](const Session& s, const char* reason) {
        double seconds = double(monotonic_ms() - s.opened_ms()) / 1000.0;
        if (config_.daemon.log_connections) log_session_close(s, seconds, reason);
        if (events_.wanted())
            events_.publish({{"event", "session_close"},
                             {"id", s.id()},
                             {"instance", s.instance().config.name},
                             {"peer", s.peer().to_string()},
                             {"duration", seconds},
                             {"bytes_in", s.bytes_in()},
                             {"bytes_out", s.bytes_out()},
                             {"reason", reason}});
    };
    context_.sessions = sessions_.get();
    context_.buffers = &buffers_;
    context_.on_reject = [this](const Instance& instance, Proto proto, const SockAddr& peer,
                                const char* reason) {
        log_refusal(instance, proto, peer, reason);
        if (events_.has_subscribers())
            reject_events_->note(instance.config.name, to_string(proto), peer, reason);
    };
    apply_daemon_settings();
    setup_signals();

    if (auto error = adopt_passed_sockets()) return error;
    for (const auto& config : config_.instances) {
        auto& instance = instances_[config.name];
        if (!instance) instance = build_instance(config);
    }
    ListenerPlan plan = plan_listeners(listeners_.keys(), config_.instances);
    std::vector<std::unique_ptr<Listener>> opened;
    if (auto error = listeners_.bind(plan, instances_, opened)) return StartError{71, *error};
    listeners_.commit(plan, instances_, std::move(opened), base_.get(), true);
    update_senders(nullptr);
    if (!config_.control.socket.empty()) {
        control_ = std::make_unique<ControlServer>(*this);
        if (auto error = control_->start()) return error;
    }
    if (config_.metrics.listen) {
        metrics_ = std::make_unique<HttpServer>(*this);
        if (auto error = metrics_->start()) return error;
    }
    drop_privileges(config_.daemon);
    setup_watchdog();
    return std::nullopt;
}

void Daemon::setup_watchdog() {
    auto interval = notify::watchdog_interval();
    if (interval.count() <= 0) return;
    watchdog_.reset(event_new(base_.get(), -1, EV_PERSIST, on_watchdog_cb, this));
    timeval tv{static_cast<time_t>(interval.count() / 1'000'000),
               static_cast<suseconds_t>(interval.count() % 1'000'000)};
    event_add(watchdog_.get(), &tv);
    notify::watchdog_ping();
}

void Daemon::on_watchdog_cb(evutil_socket_t, short, void*) {
    contain("watchdog", [] { notify::watchdog_ping(); });
}

std::string Daemon::summary() const {
    size_t tcp = listeners_.count(Proto::Tcp), udp = listeners_.count(Proto::Udp);
    return "serving " + std::to_string(instances_.size()) + " instances on " + std::to_string(tcp) +
           " TCP and " + std::to_string(udp) + " UDP sockets";
}

int Daemon::run() {
    notify::ready(summary());
    LogFields started;
    started.message_id = journal::message_id::kStarted;
    {
        LogContext context(started);
        LOG_NOTICE("smalld ready: %s", summary().c_str());
    }
    event_base_dispatch(base_.get());
    LogFields stopped;
    stopped.message_id = journal::message_id::kStopped;
    LogContext context(stopped);
    LOG_NOTICE("smalld stopped");
    return 0;
}

void Daemon::set_log_level(LogLevel level) {
    log::set_level(level);
    LOG_NOTICE("log level set to %s", to_string(level));
}

void Daemon::shutdown(const char* why) {
    if (stopping_) return;
    stopping_ = true;
    notify::stopping();
    LOG_NOTICE("%s: stopping; %zu sessions to finish within %lldms", why, sessions_->size(),
               static_cast<long long>(config_.daemon.shutdown_timeout.count()));
    listeners_.close_all();
    senders_.clear();  // no more packets out
    sessions_->finish_all();
    stop_deadline_ms_ = monotonic_ms() + config_.daemon.shutdown_timeout.count();
    stop_check_.reset(event_new(base_.get(), -1, EV_PERSIST, on_stop_check_cb, this));
    event_add(stop_check_.get(), &kStopCheckInterval);
    check_stopped();
}

void Daemon::on_stop_check_cb(evutil_socket_t, short, void* self) {
    auto* daemon = static_cast<Daemon*>(self);
    // Whatever went wrong, a shutdown must still end.
    contain(
        "shutdown", [&] { daemon->check_stopped(); },
        [&] { event_base_loopexit(daemon->base_.get(), nullptr); });
}

void Daemon::check_stopped() {
    if (sessions_->size() > 0 && monotonic_ms() < stop_deadline_ms_) return;
    if (sessions_->size() > 0) {
        LOG_WARNING("shutdown_timeout reached; closing %zu sessions", sessions_->size());
        sessions_->close_all("shutdown_timeout reached");
    }
    event_base_loopexit(base_.get(), nullptr);
}

}  // namespace smalld
