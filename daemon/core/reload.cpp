// SPDX-License-Identifier: BSD-2-Clause
// Reload: the file is parsed into a new Config; nothing changes until every
// socket the new configuration needs is in hand (the plan: listener_set.h).
// A reload after which none of the running listeners would remain (a file
// cut short, every address changed) is refused unless forced.

#include <nlohmann/json.hpp>

#include "config_diff.h"
#include "daemon.h"
#include "log.h"
#include "log_journal.h"
#include "notify.h"

namespace smalld {

ReloadResult Daemon::reload(bool force) {
    ReloadResult result;
    if (stopping_) {
        result.errors.push_back("shutting down");
        return result;
    }
    notify::reloading();
    ++stats_.counters.reload_total;
    LOG_NOTICE("reloading %s%s", config_.path.c_str(), force ? " (forced)" : "");
    ConfigResult parsed = load_config(config_.path);
    auto fail = [&](std::vector<std::string> errors) {
        ++stats_.counters.reload_failed_total;
        stats_.config_last_reload_successful = false;
        result.errors = std::move(errors);
        for (const auto& e : result.errors) LOG_ERROR("%s", e.c_str());
        LogFields failed;
        failed.message_id = journal::message_id::kReloadFailed;
        LogContext context(failed);
        LOG_ERROR("reload failed with %zu errors; the previous configuration stays in force",
                  result.errors.size());
        last_reload_ = "failed: " + result.errors.front();
        last_reload_errors_ = result.errors.size();
        notify::ready("reload failed: " + result.errors.front() + "; " + summary());
        events_.publish({{"event", "reload"}, {"ok", false}, {"errors", result.errors}});
        return result;
    };
    if (!parsed.ok()) {
        std::vector<std::string> errors;
        for (const auto& e : parsed.errors) errors.push_back(e.to_string());
        return fail(std::move(errors));
    }
    Config next = std::move(*parsed.config);

    InstanceMap instances;
    for (const auto& config : next.instances) instances[config.name] = prepare_instance(config);
    ListenerPlan plan = plan_listeners(listeners_.keys(), next.instances);
    if (!force && plan.closes_all())
        return fail({config_.path + ": reload refused: it would close every listener (" +
                     std::to_string(listeners_.all().size()) + " open now) and open " +
                     std::to_string(plan.open.size()) +
                     " new ones; if that is intended, run \"smallctl reload --force\""});
    std::vector<std::unique_ptr<Listener>> opened;
    if (auto error = listeners_.bind(plan, instances, opened))
        return fail({config_.path + ": " + *error});

    // Commit.
    for (auto& [name, instance] : instances) register_instance(*instance);
    result.changes = listeners_.commit(plan, instances, std::move(opened), base_.get(), false);
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
    update_senders(&result.changes);
    forget_removed_instances();
    apply_daemon_settings();
    result.ok = true;
    LogFields reloaded;
    reloaded.message_id = journal::message_id::kReloaded;
    if (result.changes.empty()) {
        LogContext context(reloaded);
        LOG_NOTICE("reload done: configuration unchanged");
    } else {
        std::string all;
        for (const auto& change : result.changes) all += (all.empty() ? "" : "; ") + change;
        LogContext context(reloaded);
        LOG_NOTICE("reload done: %zu change%s: %s", result.changes.size(),
                   result.changes.size() == 1 ? "" : "s", all.c_str());
    }
    last_reload_ = "ok";
    last_reload_errors_ = 0;
    stats_.config_last_reload_successful = true;
    stats_.config_last_reload_success_unix = Stats::unix_now();
    notify::ready(summary());
    events_.publish({{"event", "reload"}, {"ok", true}, {"changes", result.changes}});
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
