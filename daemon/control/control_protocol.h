// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The control protocol's facts that both ends rely on, in one header shared
// by the daemon (control_server.cpp, control_commands.cpp) and smallctl (as
// chrony's candm.h is): one JSON object a line each way,
// {"command": NAME, "args": [...]} in and {"ok": true, "data": ...} or
// {"ok": false, "error": ..., "code": ...} out; the commands, who may run
// them, their arguments and the type of their reply's data; and while a
// monitor is open an empty line at least every kMonitorKeepAliveMs, so a
// client can tell a quiet daemon from a stuck one.
//
// A new command is a row in kCommands (and its Command), a handler row in
// the daemon's table (control_commands.cpp) and a text row in smallctl's
// (smallctl/format.cpp, smallctl/commands.cpp); each table checks that it
// has one row per command, in this order.

#include <cstddef>
#include <iterator>
#include <string_view>

namespace smalld::control_protocol {

inline constexpr int kMonitorKeepAliveMs = 15'000;

enum class Command : unsigned char {
    Status,
    Stats,
    StatsReset,
    Metrics,
    Listeners,
    Conns,
    Peers,
    ConnKill,
    Reload,
    LogLevel,
    Monitor,
    Count
};

// Read: anyone who may open the socket; Admin: root or control.admin_group.
enum class Level { Read, Admin };

// The JSON type of a successful reply's "data".
enum class Data { Object, Array, String, Any };

struct CommandSpec {
    Command id;
    std::string_view name;  // one or two words: "conn kill"
    Level level;
    size_t min_args;
    size_t max_args;
    std::string_view usage;  // "conn kill ID"
    Data data;
};

inline constexpr CommandSpec kCommands[] = {
    {Command::Status, "status", Level::Read, 0, 0, "status", Data::Object},
    {Command::Stats, "stats", Level::Read, 0, 0, "stats", Data::Object},
    {Command::StatsReset, "stats reset", Level::Admin, 0, 0, "stats reset", Data::Object},
    {Command::Metrics, "metrics", Level::Read, 0, 0, "metrics", Data::String},
    {Command::Listeners, "listeners", Level::Read, 0, 0, "listeners", Data::Array},
    {Command::Conns, "conns", Level::Read, 0, 0, "conns", Data::Array},
    {Command::Peers, "peers", Level::Read, 0, 0, "peers", Data::Array},
    {Command::ConnKill, "conn kill", Level::Admin, 1, 1, "conn kill ID", Data::Object},
    {Command::Reload, "reload", Level::Admin, 0, 1, "reload [--force]", Data::Object},
    {Command::LogLevel, "log-level", Level::Admin, 1, 1, "log-level LEVEL", Data::Object},
    {Command::Monitor, "monitor", Level::Read, 0, 0, "monitor", Data::Any},
};
inline constexpr size_t kCommandCount = size_t(Command::Count);

constexpr const CommandSpec& spec(Command id) {
    return kCommands[size_t(id)];
}

// nullptr: no such command.
constexpr const CommandSpec* find_spec(std::string_view name) {
    for (const auto& c : kCommands)
        if (c.name == name) return &c;
    return nullptr;
}

// A table keyed by Command, with a row per command in kCommands' order.
template <typename Row, size_t N>
constexpr bool one_row_per_command(const Row (&rows)[N]) {
    if (N != kCommandCount) return false;
    for (size_t i = 0; i < N; ++i)
        if (rows[i].id != Command(i)) return false;
    return true;
}
static_assert(one_row_per_command(kCommands));

}  // namespace smalld::control_protocol
