// SPDX-License-Identifier: BSD-2-Clause
#include "control_commands.h"

#include <algorithm>
#include <charconv>

#include "build_config.h"
#include "clock.h"
#include "log.h"
#include "parse.h"
#include "peers_report.h"
#include "read_model.h"
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

nlohmann::json session_json(const SessionView& s) {
    return {{"id", s.id},
            {"instance", s.instance},
            {"type", s.type},
            {"peer", s.peer},
            {"local", s.local},
            {"age_seconds", s.age_seconds},
            {"idle_seconds", s.idle_seconds},
            {"bytes_in", s.bytes_in},
            {"bytes_out", s.bytes_out}};
}

namespace {

CommandReply ok(nlohmann::json data) {
    CommandReply reply;
    reply.data = std::move(data);
    return reply;
}

nlohmann::json to_json(const StatusView& v) {
    return {{"version", v.version},
            {"pid", v.pid},
            {"uptime_seconds", v.uptime_seconds},
            {"config", v.config_path},
            {"last_reload", v.last_reload},
            {"state", v.state},
            {"log_level", to_string(v.log_level)},
            {"conn_current", v.conn_current},
            {"conn_accepted_total", v.conn_accepted_total},
            {"instances", v.instances},
            {"listeners", v.listeners},
            {"control_socket", v.control_socket},
            {"metrics_listen", v.metrics_listen ? nlohmann::json(*v.metrics_listen) : nullptr}};
}

nlohmann::json to_json(const ListenerView& l) {
    return {{"instance", l.instance}, {"type", l.type}, {"proto", l.proto},
            {"address", l.address},   {"port", l.port}, {"configured", l.configured},
            {"origin", l.origin}};
}

CommandReply cmd_status(ReadModel& model, const CommandArgs&) {
    return ok(to_json(model.status_view()));
}

CommandReply cmd_stats(ReadModel& model, const CommandArgs&) {
    return ok(render_stats_json(model.stats(), model.open_sessions()));
}

CommandReply cmd_stats_reset(ReadModel& model, const CommandArgs&) {
    model.reset_counters();
    LOG_NOTICE("control: counters reset");
    return ok({{"reset", true}});
}

CommandReply cmd_metrics(ReadModel& model, const CommandArgs&) {
    return ok(render_prometheus(model.stats(), model.open_sessions(), SMALLD_VERSION));
}

CommandReply cmd_peers(ReadModel& model, const CommandArgs&) {
    return ok(peers_json(model.stats(), clock_ns(CLOCK_REALTIME)));
}

CommandReply cmd_listeners(ReadModel& model, const CommandArgs&) {
    nlohmann::json list = nlohmann::json::array();
    for (const ListenerView& l : model.listener_views()) list.push_back(to_json(l));
    return ok(std::move(list));
}

CommandReply cmd_conns(ReadModel& model, const CommandArgs&) {
    nlohmann::json list = nlohmann::json::array();
    for (const SessionView& s : model.session_views(kAllSessions).oldest)
        list.push_back(session_json(s));
    return ok(std::move(list));
}

CommandReply cmd_conn_kill(ReadModel& model, const CommandArgs& args) {
    const std::string& text = args[0];
    uint64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size())
        return CommandReply::failure("usage",
                                     "conn kill: expected a session id, got \"" + text + "\"");
    if (!model.kill_session(id))
        return CommandReply::failure("failed", "conn kill: no session " + text);
    LOG_NOTICE("control: session %llu killed", static_cast<unsigned long long>(id));
    return ok({{"killed", id}});
}

CommandReply cmd_reload(ReadModel& model, const CommandArgs& args) {
    if (!args.empty() && args[0] != "--force")
        return CommandReply::failure("usage",
                                     "reload: the only option is --force, got \"" + args[0] + "\"");
    ReloadResult result = model.reload(!args.empty());
    if (result.ok) return ok({{"changes", result.changes}});
    CommandReply reply = CommandReply::failure(
        "failed", "reload failed with " + std::to_string(result.errors.size()) +
                      (result.errors.size() == 1 ? " error" : " errors") +
                      "; the previous configuration stays in force");
    reply.details = {{"errors", result.errors}};
    return reply;
}

CommandReply cmd_log_level(ReadModel& model, const CommandArgs& args) {
    std::string error;
    auto level = parse_log_level(args[0], &error);
    if (!level) return CommandReply::failure("usage", "log-level: " + error);
    model.set_log_level(*level);
    return ok({{"log_level", to_string(*level)}});
}

CommandReply cmd_monitor(ReadModel&, const CommandArgs&) {
    CommandReply reply = ok({{"monitoring", true}});
    reply.start_monitor = true;
    return reply;
}

using control_protocol::Command;

constexpr ControlCommand row(Command id, std::string_view help,
                             CommandReply (*run)(ReadModel&, const CommandArgs&)) {
    const control_protocol::CommandSpec& spec = control_protocol::spec(id);
    return {id, spec.name, spec.level, spec.min_args, spec.max_args, spec.usage, help, run};
}

constexpr ControlCommand kCommands[] = {
    row(Command::Status, "version, pid, uptime, config, last reload, state", cmd_status),
    row(Command::Stats, "every counter and gauge", cmd_stats),
    row(Command::StatsReset, "zero the counters", cmd_stats_reset),
    row(Command::Metrics, "the counters in Prometheus text format", cmd_metrics),
    row(Command::Listeners, "every listening socket", cmd_listeners),
    row(Command::Conns, "live TCP sessions", cmd_conns),
    row(Command::Peers, "the stamp-sender's peers and their figures", cmd_peers),
    row(Command::ConnKill, "close one session", cmd_conn_kill),
    row(Command::Reload, "re-read the configuration", cmd_reload),
    row(Command::LogLevel, "change the log level", cmd_log_level),
    row(Command::Monitor, "stream events until the client leaves", cmd_monitor),
};
static_assert(control_protocol::one_row_per_command(kCommands));

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
