// Reload: the file is parsed into a new Config; nothing changes until every
// socket the new configuration needs is bound. Listeners that did not change
// are kept, new ones opened, removed ones closed; sessions are never dropped.
// A reload after which none of the running listeners would remain (a file
// cut short, every address changed) is refused unless forced.

#include <nlohmann/json.hpp>
#include <set>

#include "daemon.h"
#include "log.h"
#include "notify.h"

namespace smalld {

ReloadResult Daemon::reload(bool force) {
    ReloadResult result;
    if (stopping_) {
        result.errors.push_back("shutting down");
        return result;
    }
    notify::reloading();
    ++stats_.reload_total;
    LOG_NOTICE("reloading %s%s", config_.path.c_str(), force ? " (forced)" : "");
    ConfigResult parsed = load_config(config_.path);
    auto fail = [&](std::vector<std::string> errors) {
        ++stats_.reload_failed_total;
        result.errors = std::move(errors);
        for (const auto& e : result.errors) LOG_ERROR("%s", e.c_str());
        LOG_ERROR("reload failed with %zu errors; the previous configuration stays in force",
                  result.errors.size());
        last_reload_ = "failed: " + result.errors.front();
        notify::ready("reload failed: " + result.errors.front() + "; " + summary());
        emit({{"event", "reload"}, {"ok", false}, {"errors", result.errors}});
        return result;
    };
    if (!parsed.ok()) {
        std::vector<std::string> errors;
        for (const auto& e : parsed.errors) errors.push_back(e.to_string());
        return fail(std::move(errors));
    }
    Config next = std::move(*parsed.config);

    // New instances first; nothing changes until every new socket is bound.
    std::map<std::string, std::shared_ptr<Instance>> instances;
    for (const auto& config : next.instances) instances[config.name] = prepare_instance(config);
    std::map<std::string, Listener*> existing;
    for (auto& l : listeners_) existing[l->key()] = l.get();
    std::set<Listener*> kept;
    std::vector<std::unique_ptr<Listener>> opened;
    for (const auto& config : next.instances) {
        bool from_systemd = false;
        for (auto& l : listeners_)
            if (l->origin() == Origin::Systemd && l->instance().config.name == config.name) {
                kept.insert(l.get());
                from_systemd = true;
            }
        if (from_systemd) continue;
        for (Proto proto : {Proto::Tcp, Proto::Udp}) {
            for (const auto& addr : proto == Proto::Tcp ? config.tcp : config.udp) {
                std::string key = config.name + " " + to_string(proto) + " " + addr.to_string();
                if (auto it = existing.find(key); it != existing.end()) {
                    kept.insert(it->second);
                    continue;
                }
                std::string error;
                Fd fd = bind_socket(proto, addr, config.backlog, &error);
                if (!fd) return fail({config_.path + ": [" + config.name + "] " + error});
                opened.push_back(std::make_unique<Listener>(context_, instances[config.name], proto,
                                                            addr, std::move(fd), Origin::Config));
                result.changes.push_back("added " + opened.back()->key() + " (port " +
                                         std::to_string(opened.back()->actual().port()) + ")");
            }
        }
    }

    // None of the running listeners would remain: a file cut short, or every
    // address changed at once. Only on purpose.
    if (!force && !listeners_.empty() && kept.empty())
        return fail({config_.path + ": reload refused: it would close every listener (" +
                     std::to_string(listeners_.size()) + " open now) and open " +
                     std::to_string(opened.size()) +
                     " new ones; if that is intended, run \"smallctl reload --force\""});

    // Commit.
    for (auto& [name, instance] : instances) register_instance(*instance);
    std::vector<std::unique_ptr<Listener>> next_listeners;
    for (auto& l : listeners_) {
        if (kept.count(l.get())) {
            l->set_instance(instances[l->instance().config.name]);
            next_listeners.push_back(std::move(l));
        } else {
            result.changes.push_back("removed " + l->key());
        }
    }
    for (auto& l : opened) {
        l->start(base_.get());
        LOG_NOTICE("%s: listening on %s %s", l->instance().config.name.c_str(),
                   to_string(l->proto()), l->actual().to_string().c_str());
        next_listeners.push_back(std::move(l));
    }
    listeners_ = std::move(next_listeners);
    for (const auto& [name, old] : instances_) {
        auto it = instances.find(name);
        if (it == instances.end()) {
            result.changes.push_back("removed instance [" + name + "]");
            stats_.instances.find(name)->second->configured = false;
        } else if (old->config.type != it->second->config.type) {
            result.changes.push_back("instance [" + name + "] is now of type " +
                                     to_string(it->second->config.type));
        }
    }
    for (const auto& [name, instance] : instances)
        if (!instances_.count(name)) result.changes.push_back("added instance [" + name + "]");
    if (next.daemon.log_level != config_.daemon.log_level) {
        std::string change = std::string("log_level ") + to_string(next.daemon.log_level);
        if (log_level_pinned_)
            change += "; not applied: -l on the command line overrides it";
        else
            log::set_level(next.daemon.log_level);
        result.changes.push_back(change);
    }
    // The control socket and the metrics endpoint are not rebuilt under a
    // reload (the reload may have come through the control socket itself).
    const ControlConfig& control = next.control;
    if (control.socket != config_.control.socket || control.mode != config_.control.mode ||
        control.group != config_.control.group)
        result.changes.push_back("[control] changed; it takes effect at the next restart");
    const auto& listen = next.metrics.listen;
    if (listen.has_value() != config_.metrics.listen.has_value() ||
        (listen && !(*listen == *config_.metrics.listen)))
        result.changes.push_back("[metrics] changed; it takes effect at the next restart");
    instances_ = std::move(instances);
    config_ = std::move(next);
    apply_daemon_settings();
    result.ok = true;
    for (const auto& change : result.changes) LOG_NOTICE("reload: %s", change.c_str());
    LOG_NOTICE("reload done: %zu changes", result.changes.size());
    last_reload_ = "ok";
    notify::ready(summary());
    emit({{"event", "reload"}, {"ok", true}, {"changes", result.changes}});
    return result;
}

}  // namespace smalld
