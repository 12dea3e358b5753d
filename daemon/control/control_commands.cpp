// SPDX-License-Identifier: BSD-2-Clause
#include "control_commands.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "admission.h"
#include "build_config.h"
#include "daemon.h"
#include "log.h"
#include "parse.h"
#include "peers_report.h"
#include "render.h"

namespace smalld {

const char* to_string(ControlLevel level) {
    return level == ControlLevel::Admin ? "admin" : "read";
}

CommandReply CommandReply::failure(std::string code, std::string error) {
    CommandReply reply;
    reply.ok = false;
    reply.code = std::move(code);
    reply.error = std::move(error);
    return reply;
}

nlohmann::json CommandReply::to_json() const {
    if (ok) return {{"ok", true}, {"data", data}};
    nlohmann::json j = {{"ok", false}, {"error", error}, {"code", code}};
    if (details.is_object())
        for (const auto& [key, value] : details.items()) j[key] = value;
    return j;
}

std::string CommandReply::to_text() const {
    return to_json_text(to_json());
}

namespace {

CommandReply ok(nlohmann::json data) {
    CommandReply reply;
    reply.data = std::move(data);
    return reply;
}

CommandReply cmd_status(Daemon& d, const CommandArgs&) {
    const Config& c = d.config();
    const Stats& s = d.stats();
    nlohmann::json metrics = nullptr;
    if (c.metrics.listen) metrics = c.metrics.listen->to_string();
    return ok({{"version", SMALLD_VERSION},
               {"pid", int(getpid())},
               {"uptime_seconds", s.uptime_seconds()},
               {"config", c.path},
               {"last_reload", d.last_reload()},
               {"state", d.state()},
               {"log_level", to_string(log::level())},
               {"conn_current", d.open_sessions().tcp},
               {"conn_accepted_total", s.counters.conn_accepted_total},
               {"instances", c.instances.size()},
               {"listeners", d.listeners().size()},
               {"control_socket", c.control.socket},
               {"metrics_listen", metrics}});
}

CommandReply cmd_stats(Daemon& d, const CommandArgs&) {
    return ok(render_stats_json(d.stats(), d.open_sessions()));
}

CommandReply cmd_stats_reset(Daemon& d, const CommandArgs&) {
    d.stats().reset_counters();
    LOG_NOTICE("control: counters reset");
    return ok({{"reset", true}});
}

CommandReply cmd_metrics(Daemon& d, const CommandArgs&) {
    return ok(render_prometheus(d.stats(), d.open_sessions(), SMALLD_VERSION));
}

CommandReply cmd_peers(Daemon& d, const CommandArgs&) {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    return ok(peers_json(d.stats(), int64_t(now.tv_sec) * 1'000'000'000 + now.tv_nsec));
}

CommandReply cmd_listeners(Daemon& d, const CommandArgs&) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& l : d.listeners())
        list.push_back({{"instance", l->instance().config.name},
                        {"type", to_string(l->instance().config.type)},
                        {"proto", to_string(l->proto())},
                        {"address", l->actual().host()},
                        {"port", l->actual().port()},
                        {"configured", l->configured().to_string()},
                        {"origin", to_string(l->origin())}});
    return ok(std::move(list));
}

CommandReply cmd_conns(Daemon& d, const CommandArgs&) {
    nlohmann::json list = nlohmann::json::array();
    int64_t now = monotonic_ms();
    d.sessions().for_each([&](const Session& s) {
        list.push_back({{"id", s.id()},
                        {"instance", s.instance().config.name},
                        {"type", to_string(s.instance().config.type)},
                        {"peer", s.peer().to_string()},
                        {"local", s.local().to_string()},
                        {"age_seconds", double(now - s.opened_ms()) / 1000.0},
                        {"idle_seconds", double(now - s.active_ms()) / 1000.0},
                        {"bytes_in", s.bytes_in()},
                        {"bytes_out", s.bytes_out()}});
    });
    std::sort(list.begin(), list.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
        return a["id"].get<uint64_t>() < b["id"].get<uint64_t>();
    });
    return ok(std::move(list));
}

CommandReply cmd_conn_kill(Daemon& d, const CommandArgs& args) {
    const std::string& text = args[0];
    uint64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size())
        return CommandReply::failure("usage",
                                     "conn kill: expected a session id, got \"" + text + "\"");
    if (!d.sessions().kill(id))
        return CommandReply::failure("failed", "conn kill: no session " + text);
    LOG_NOTICE("control: session %llu killed", static_cast<unsigned long long>(id));
    return ok({{"killed", id}});
}

CommandReply cmd_reload(Daemon& d, const CommandArgs& args) {
    if (!args.empty() && args[0] != "--force")
        return CommandReply::failure("usage",
                                     "reload: the only option is --force, got \"" + args[0] + "\"");
    ReloadResult result = d.reload(!args.empty());
    if (result.ok) return ok({{"changes", result.changes}});
    CommandReply reply = CommandReply::failure(
        "failed", "reload failed with " + std::to_string(result.errors.size()) +
                      (result.errors.size() == 1 ? " error" : " errors") +
                      "; the previous configuration stays in force");
    reply.details = {{"errors", result.errors}};
    return reply;
}

CommandReply cmd_log_level(Daemon& d, const CommandArgs& args) {
    std::string error;
    auto level = parse_log_level(args[0], &error);
    if (!level) return CommandReply::failure("usage", "log-level: " + error);
    d.set_log_level(*level);
    return ok({{"log_level", to_string(*level)}});
}

CommandReply cmd_monitor(Daemon&, const CommandArgs&) {
    CommandReply reply = ok({{"monitoring", true}});
    reply.start_monitor = true;
    return reply;
}

constexpr ControlCommand kCommands[] = {
    {"status", ControlLevel::Read, 0, 0, "status",
     "version, pid, uptime, config, last reload, state", cmd_status},
    {"stats", ControlLevel::Read, 0, 0, "stats", "every counter and gauge", cmd_stats},
    {"stats reset", ControlLevel::Admin, 0, 0, "stats reset", "zero the counters", cmd_stats_reset},
    {"metrics", ControlLevel::Read, 0, 0, "metrics", "the counters in Prometheus text format",
     cmd_metrics},
    {"listeners", ControlLevel::Read, 0, 0, "listeners", "every listening socket", cmd_listeners},
    {"conns", ControlLevel::Read, 0, 0, "conns", "live TCP sessions", cmd_conns},
    {"peers", ControlLevel::Read, 0, 0, "peers", "the stamp-sender's peers and their figures",
     cmd_peers},
    {"conn kill", ControlLevel::Admin, 1, 1, "conn kill ID", "close one session", cmd_conn_kill},
    {"reload", ControlLevel::Admin, 0, 1, "reload [--force]", "re-read the configuration",
     cmd_reload},
    {"log-level", ControlLevel::Admin, 1, 1, "log-level LEVEL", "change the log level",
     cmd_log_level},
    {"monitor", ControlLevel::Read, 0, 0, "monitor", "stream events until the client leaves",
     cmd_monitor},
};

size_t word_count(std::string_view name) {
    return size_t(std::count(name.begin(), name.end(), ' ')) + 1;
}

bool name_matches(std::string_view name, const std::vector<std::string>& words) {
    size_t n = word_count(name);
    if (words.size() < n) return false;
    std::string joined = words[0];
    for (size_t i = 1; i < n; ++i) joined += " " + words[i];
    return joined == name;
}

}  // namespace

std::span<const ControlCommand> control_commands() {
    return kCommands;
}

CommandMatch find_command(const std::vector<std::string>& words) {
    CommandMatch match;
    if (words.empty()) {
        match.error = CommandReply::failure("unknown_command", "empty request");
        return match;
    }
    for (const auto& command : kCommands)
        if (name_matches(command.name, words) &&
            (!match.command || word_count(command.name) > word_count(match.command->name)))
            match.command = &command;
    if (!match.command) {
        match.error =
            CommandReply::failure("unknown_command", "unknown command \"" + words[0] + "\"");
        return match;
    }
    match.args.assign(words.begin() + long(word_count(match.command->name)), words.end());
    if (match.args.size() < match.command->min_args ||
        match.args.size() > match.command->max_args) {
        match.error = CommandReply::failure("usage", "usage: " + std::string(match.command->usage));
        match.command = nullptr;
        match.args.clear();
    }
    return match;
}

}  // namespace smalld
