// SPDX-License-Identifier: BSD-2-Clause
#include "commands.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "build_config.h"
#include "control_protocol.h"

namespace smallctl {

namespace {

using ProtocolCommand = smalld::control_protocol::Command;

// One row per command of the protocol (control_protocol.h), in its order.
struct CommandText {
    ProtocolCommand id;
    std::string_view help;
    std::string_view details;
};
constexpr CommandText kTexts[] = {
    {ProtocolCommand::Status, "version, pid, uptime, config, last reload, state",
     "The daemon's version, process id, state (running or stopping), uptime, "
     "configuration file, the result of the last reload, log level, sessions open and "
     "accepted, listeners, the control socket and the metrics address."},
    {ProtocolCommand::Stats, "every counter and gauge",
     "Every counter and gauge: the daemon-wide ones, then one row per instance and "
     "protocol (open sessions, sessions accepted, datagrams in and out, bytes in and out, "
     "refusals), then the refusals by reason. Reading never resets a counter."},
    {ProtocolCommand::StatsReset, "zero the counters",
     "Zero the counters; gauges such as the open sessions keep their values."},
    {ProtocolCommand::Metrics, "the counters in Prometheus text format",
     "The same counters in the Prometheus text exposition format, exactly as the "
     "[metrics] endpoint serves them at /metrics."},
    {ProtocolCommand::Listeners, "every listening socket",
     "One row per listening socket: instance, type, protocol, address, the port actually "
     "bound, and its origin (config, or systemd for socket activation)."},
    {ProtocolCommand::Conns, "live TCP sessions",
     "One row per live TCP session: id, instance, peer, local address, age, time since "
     "the last activity, and bytes in and out. The id is what \"conn kill\" takes."},
    {ProtocolCommand::Peers, "the stamp-sender's peers and their figures",
     "One row per peer of each stamp-sender instance: up, the round trip's median and "
     "99th percentile and the one-way medians over the instance's window, the loss each "
     "way in % of the packets whose fate is known, and when it last answered; - where not "
     "known. With -j, a JSON list of objects (service, peer, up, sent, received and the rest)."},
    {ProtocolCommand::ConnKill, "close one session",
     "Close the session with this id (see \"smallctl conns\") at once."},
    {ProtocolCommand::Reload, "re-read the configuration",
     "Re-read the configuration file, as SIGHUP does, and wait for the result: the "
     "changes, one per line, or every error with its file and line, in which case the "
     "previous configuration stays in force and smallctl exits 1. A reload after which "
     "none of the running listeners would remain is refused unless --force is given."},
    {ProtocolCommand::LogLevel, "change the log level",
     "Change the log level until the next restart or a reload that changes log_level: "
     "error, warning, notice, info or debug."},
    {ProtocolCommand::Monitor, "print events until interrupted",
     "Print one line per event until interrupted (Ctrl-C): sessions opening and closing, "
     "connections and datagrams refused, and reloads. With -j, each event as a JSON "
     "line. A monitor that cannot keep up loses events and is told how many."},
};
static_assert(smalld::control_protocol::one_row_per_command(kTexts));

}  // namespace

const std::vector<Command>& commands() {
    static const std::vector<Command> table = [] {
        std::vector<Command> list;
        for (const CommandText& t : kTexts) {
            const auto& spec = smalld::control_protocol::spec(t.id);
            list.push_back(
                {spec.name, spec.min_args, spec.max_args, spec.usage, t.help, t.details, &spec});
        }
        return list;
    }();
    return table;
}

const Command& help_command() {
    static const Command help = {
        "help",
        0,
        2,
        "help [COMMAND]",
        "what COMMAND does; without one, this summary",
        "Print what COMMAND does and who may run it, or without COMMAND the summary of the "
        "options and commands. smallctl answers it itself: no daemon is needed."};
    return help;
}

const Command& top_command() {
    static const Command top = {
        "top",
        0,
        1,
        "top [COUNT]",
        "rates per instance, refreshed every second",
        "A live view, like top(1): per instance and protocol, the open sessions and the rates "
        "per second of sessions, datagrams, bytes in and out and refusals, redrawn every "
        "second until interrupted (Ctrl-C), or COUNT times. When standard output is not a "
        "terminal it prints one snapshot, the rates over one second, and exits. It asks "
        "the daemon for stats, so anyone who may run stats may run it."};
    return top;
}

namespace {

std::vector<std::string> split(std::string_view name) {
    std::vector<std::string> words;
    size_t at = 0;
    while (at <= name.size()) {
        size_t space = name.find(' ', at);
        if (space == std::string_view::npos) space = name.size();
        words.emplace_back(name.substr(at, space - at));
        at = space + 1;
    }
    return words;
}

// Whether `words` begins with the words of `prefix`.
bool begins_with(const std::vector<std::string>& words, const std::vector<std::string>& prefix) {
    return words.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), words.begin());
}

bool starts_with(const std::string& word, std::string_view prefix) {
    return word.compare(0, prefix.size(), prefix) == 0 && word.size() >= prefix.size();
}

// The daemon's commands and smallctl's own: what the words on the command
// line are resolved against.
const std::vector<const Command*>& all_commands() {
    static const std::vector<const Command*> all = [] {
        std::vector<const Command*> list;
        for (const auto& c : commands()) list.push_back(&c);
        list.push_back(&top_command());
        list.push_back(&help_command());
        return list;
    }();
    return all;
}

// The words that may follow `path` ({} -> every first word), and whether
// `path` itself names a command.
std::vector<std::string> next_words(const std::vector<std::string>& path, bool* complete) {
    std::vector<std::string> next;
    *complete = false;
    for (const Command* c : all_commands()) {
        auto parts = split(c->name);
        if (!begins_with(parts, path)) continue;
        if (parts.size() == path.size())
            *complete = true;
        else if (std::find(next.begin(), next.end(), parts[path.size()]) == next.end())
            next.push_back(parts[path.size()]);
    }
    return next;
}

std::string join(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
    return out;
}

// Fills `text` into lines of at most `width` columns.
std::string wrap(std::string_view text, size_t width) {
    std::string out, line;
    size_t at = 0;
    while (at < text.size()) {
        size_t space = text.find(' ', at);
        if (space == std::string_view::npos) space = text.size();
        std::string_view word = text.substr(at, space - at);
        if (!line.empty() && line.size() + 1 + word.size() > width) {
            out += line + "\n";
            line.clear();
        }
        line += (line.empty() ? "" : " ") + std::string(word);
        at = space + 1;
    }
    if (!line.empty()) out += line + "\n";
    return out;
}

std::string describe(const Command& c) {
    std::string out = "usage: smallctl " + std::string(c.usage) + "\n" + wrap(c.details, 76);
    if (&c == &help_command())
        out += "Anyone may run it.\n";
    else if (c.admin())
        out += "Admin: only root and the user smalld runs as may run it.\n";
    else
        out += "Read-only: anyone who may open the control socket may run it.\n";
    return out;
}

}  // namespace

size_t shortest_abbreviation(std::string_view word) {
    // stats/status and conn/conns share their first letters: the short ones
    // are spelled out, status may be cut down to "sta".
    if (word == "stats" || word == "conn" || word == "conns") return word.size();
    if (word == "status") return 3;
    return 1;
}

std::string resolve_word(std::string_view word, const std::vector<std::string>& candidates,
                         std::string* error) {
    if (word.empty()) {
        *error = "empty command word";
        return {};
    }
    for (const auto& c : candidates)
        if (c == word) return c;
    std::vector<std::string> matches;
    for (const auto& c : candidates)
        if (starts_with(c, word) && word.size() >= shortest_abbreviation(c)) matches.push_back(c);
    if (matches.size() == 1) return matches.front();
    std::vector<std::string> all;
    for (const auto& c : candidates)
        if (starts_with(c, word)) all.push_back(c);
    if (all.empty()) {
        *error = "unknown command \"" + std::string(word) + "\"";
    } else {
        *error = "\"" + std::string(word) + "\" is ambiguous:";
        for (const auto& c : all) *error += " " + c;
    }
    return {};
}

Resolved resolve(const std::vector<std::string>& words) {
    Resolved out;
    if (words.empty()) {
        out.error = "no command given";
        return out;
    }
    std::vector<std::string> path;
    size_t used = 0;
    for (;; ++used) {
        bool complete = false;
        std::vector<std::string> next = next_words(path, &complete);
        if (next.empty() || used == words.size()) break;
        std::string error;
        std::string word = resolve_word(words[used], next, &error);
        if (word.empty()) {
            if (complete) break;  // the rest are arguments
            out.error = path.empty() ? error : path.front() + ": " + error;
            return out;
        }
        path.push_back(word);
    }
    std::string name = join(path);
    for (const Command* c : all_commands()) {
        if (c->name != name) continue;
        out.args.assign(words.begin() + long(used), words.end());
        if (out.args.size() < c->min_args || out.args.size() > c->max_args) {
            out.error = "usage: smallctl " + std::string(c->usage);
            out.args.clear();
            return out;
        }
        out.command = c;
        return out;
    }
    std::string choices;
    for (const Command* c : all_commands())
        if (c->name.substr(0, name.size() + 1) == name + " ")
            choices += (choices.empty() ? "" : ", ") + std::string(c->usage);
    out.error = "usage: smallctl " + choices;
    return out;
}

std::string usage_summary() {
    std::string out =
        "usage: smallctl [-j] [-s SOCKET] [-t SEC] COMMAND [ARGS]\n"
        "  -s, --socket SOCKET  control socket (default " SMALLD_CONTROL_SOCKET
        ")\n"
        "  -j, --json           print the daemon's JSON replies as they are\n"
        "  -t, --timeout SEC    give up on a connect or a reply after SEC seconds\n"
        "                       (default 60; monitor waits at least 30)\n"
        "  -V, --version        print the version and exit\n"
        "  -h, --help           this summary\n"
        "commands (any unambiguous prefix; status from sta):\n";
    char line[160];
    for (const Command* c : all_commands()) {
        snprintf(line, sizeof line, "  %-18s %.*s%s\n", std::string(c->usage).c_str(),
                 int(c->help.size()), c->help.data(), c->admin() ? " (admin)" : "");
        out += line;
    }
    return out;
}

std::optional<std::string> help_text(const std::vector<std::string>& words, std::string* error) {
    if (words.empty()) return usage_summary();
    std::vector<std::string> path;
    for (const auto& word : words) {
        bool complete = false;
        std::vector<std::string> next = next_words(path, &complete);
        if (next.empty()) {
            *error = "usage: smallctl " + std::string(help_command().usage);
            return std::nullopt;
        }
        std::string resolved = resolve_word(word, next, error);
        if (resolved.empty()) {
            if (!path.empty()) *error = join(path) + ": " + *error;
            return std::nullopt;
        }
        path.push_back(resolved);
    }
    std::string out;
    for (const Command* c : all_commands())
        if (begins_with(split(c->name), path)) out += (out.empty() ? "" : "\n") + describe(*c);
    return out;
}

int parse_timeout_ms(const char* text) {
    char* end = nullptr;
    errno = 0;
    double seconds = strtod(text, &end);
    if (errno || end == text || *end || !(seconds > 0) || seconds > 3600) return 0;
    return std::max(1, int(seconds * 1000.0));
}

int monitor_silence_ms(int timeout_ms) {
    return std::max(timeout_ms, 2 * smalld::control_protocol::kMonitorKeepAliveMs);
}

}  // namespace smallctl
