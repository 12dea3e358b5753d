// Reload: the file is parsed into a new Config; nothing changes until every
// socket the new configuration needs is in hand. Each wanted listener
// (instance, protocol, address) is, in this order of preference:
//   kept       - the instance already listens there;
//   handed over - another listener at the same protocol and configured
//                 address is let go by its instance (a renamed instance, an
//                 address moved between instances): the socket changes owner
//                 without ever closing, so no connection attempt is refused.
//                 A port-0 listener goes only to an instance of its type:
//                 the configuration asked for no port in particular;
//   bound      - a new socket.
// Listeners nobody wants any more are closed; sessions are never dropped.
// A reload after which none of the running listeners would remain (a file
// cut short, every address changed) is refused unless forced.

#include <nlohmann/json.hpp>

#include "config_diff.h"
#include "daemon.h"
#include "log.h"
#include "notify.h"

namespace smalld {

namespace {

struct Wanted {
    const InstanceConfig* config;
    Proto proto;
    SockAddr addr;
};

std::string describe(Proto proto, const SockAddr& addr) {
    return std::string(to_string(proto)) + " " + addr.to_string();
}

}  // namespace

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
        stats_.config_last_reload_successful = false;
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

    std::map<std::string, std::shared_ptr<Instance>> instances;
    for (const auto& config : next.instances) instances[config.name] = prepare_instance(config);

    // Plan: which running listener each wanted one becomes. Indexed by
    // protocol and configured address, so a large file plans in n log n.
    std::map<std::string, std::vector<Listener*>> by_address;
    for (auto& l : listeners_)
        if (l->origin() == Origin::Config)
            by_address[describe(l->proto(), l->configured())].push_back(l.get());
    std::map<Listener*, std::string> owner;  // kept or handed over -> its next instance
    auto find_free = [&](const Wanted& want, auto&& acceptable) -> Listener* {
        auto it = by_address.find(describe(want.proto, want.addr));
        if (it == by_address.end()) return nullptr;
        for (Listener* l : it->second)
            if (!owner.count(l) && l->can_serve(want.proto, want.addr) && acceptable(*l)) return l;
        return nullptr;
    };
    std::vector<Wanted> unmatched;
    for (const auto& config : next.instances) {
        bool from_systemd = false;
        for (auto& l : listeners_)
            if (l->origin() == Origin::Systemd && l->instance().config.name == config.name) {
                owner[l.get()] = config.name;
                from_systemd = true;
            }
        if (from_systemd) continue;  // systemd's sockets replace the configured addresses
        for (Proto proto : {Proto::Tcp, Proto::Udp}) {
            for (const auto& addr : proto == Proto::Tcp ? config.tcp : config.udp) {
                Wanted want{&config, proto, addr};
                Listener* same = find_free(want, [&](const Listener& l) {
                    return l.instance().config.name == config.name;
                });
                if (same)
                    owner[same] = config.name;
                else
                    unmatched.push_back(want);
            }
        }
    }
    std::vector<Wanted> to_bind;
    std::vector<std::pair<Listener*, std::string>> handed;  // listener, its previous instance
    for (const auto& want : unmatched) {
        Listener* free = find_free(want, [&](const Listener& l) {
            return want.addr.port() != 0 || l.instance().config.type == want.config->type;
        });
        if (!free) {
            to_bind.push_back(want);
            continue;
        }
        owner[free] = want.config->name;
        handed.emplace_back(free, free->instance().config.name);
    }
    if (!force && !listeners_.empty() && owner.empty())
        return fail({config_.path + ": reload refused: it would close every listener (" +
                     std::to_string(listeners_.size()) + " open now) and open " +
                     std::to_string(to_bind.size()) +
                     " new ones; if that is intended, run \"smallctl reload --force\""});

    std::vector<std::unique_ptr<Listener>> opened;
    for (const auto& want : to_bind) {
        std::string error;
        Fd fd = bind_socket(want.proto, want.addr, want.config->backlog, &error);
        if (!fd) return fail({config_.path + ": [" + want.config->name + "] " + error});
        opened.push_back(std::make_unique<Listener>(context_, instances[want.config->name],
                                                    want.proto, want.addr, std::move(fd),
                                                    Origin::Config));
        result.changes.push_back("added " + opened.back()->key() + " (port " +
                                 std::to_string(opened.back()->actual().port()) + ")");
    }

    // Commit.
    for (auto& [name, instance] : instances) register_instance(*instance);
    std::vector<std::unique_ptr<Listener>> next_listeners;
    for (auto& l : listeners_) {
        auto it = owner.find(l.get());
        if (it == owner.end()) {
            result.changes.push_back("removed " + l->key());
            continue;
        }
        l->set_instance(instances[it->second]);
        next_listeners.push_back(std::move(l));
    }
    for (const auto& [l, previous] : handed) {
        result.changes.push_back("handed over " + describe(l->proto(), l->configured()) +
                                 " (port " + std::to_string(l->actual().port()) + ") from [" +
                                 previous + "] to [" + l->instance().config.name + "]");
        LOG_NOTICE("%s: listening on %s %s (handed over from [%s])",
                   l->instance().config.name.c_str(), to_string(l->proto()),
                   l->actual().to_string().c_str(), previous.c_str());
    }
    for (auto& l : opened) {
        l->start(base_.get());
        LOG_NOTICE("%s: listening on %s %s", l->instance().config.name.c_str(),
                   to_string(l->proto()), l->actual().to_string().c_str());
        next_listeners.push_back(std::move(l));
    }
    listeners_ = std::move(next_listeners);  // closes the removed ones
    for (const auto& [name, old] : instances_)
        if (!instances.count(name))
            if (auto record = stats_.instances.find(name); record != stats_.instances.end())
                record->second->configured = false;
    // Every key that changed, in the order of the key table, then the
    // listeners opened, handed over and closed.
    std::vector<std::string> changes = diff_config(config_, next);
    const std::string level_key = "[daemon] log_level: ";
    for (auto& change : changes)
        if (change.starts_with(level_key)) {
            if (log_level_pinned_)
                change += " (not applied: -l on the command line overrides it)";
            else
                log::set_level(next.daemon.log_level);
        }
    changes.insert(changes.end(), result.changes.begin(), result.changes.end());
    result.changes = std::move(changes);
    instances_ = std::move(instances);  // the old Instances live on in their sessions
    config_ = std::move(next);
    forget_removed_instances();
    apply_daemon_settings();
    result.ok = true;
    if (result.changes.empty()) {
        LOG_NOTICE("reload done: configuration unchanged");
    } else {
        std::string all;
        for (const auto& change : result.changes) all += (all.empty() ? "" : "; ") + change;
        LOG_NOTICE("reload done: %zu change%s: %s", result.changes.size(),
                   result.changes.size() == 1 ? "" : "s", all.c_str());
    }
    last_reload_ = "ok";
    stats_.config_last_reload_successful = true;
    stats_.config_last_reload_success_unix = Stats::unix_now();
    notify::ready(summary());
    emit({{"event", "reload"}, {"ok", true}, {"changes", result.changes}});
    return result;
}

// The statistics and per-source state of instances no longer configured go
// once nothing uses them: at this reload, or, while sessions of the instance
// still run, at the first reload after the last one closed. Their series
// vanish from the metrics as a vanished target's do from an exporter.
void Daemon::forget_removed_instances() {
    size_t dropped = stats_.drop_unused();
    for (auto it = states_.begin(); it != states_.end();) {
        if (!instances_.count(it->first) && it->second.use_count() == 1)
            it = states_.erase(it);
        else
            ++it;
    }
    if (dropped)
        LOG_INFO("reload: dropped the statistics of %zu removed instance%s", dropped,
                 dropped == 1 ? "" : "s");
}

}  // namespace smalld
