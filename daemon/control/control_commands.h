// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The control socket's commands: one table of name, privilege level, argument
// count, help and handler. The server parses and authorises; the handlers here
// only talk to the read model (read_model.h), so a test can run them against a
// fake one.

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "control_protocol.h"

namespace smalld {

class ReadModel;
struct SessionView;

using ControlLevel = control_protocol::Level;
const char* to_string(ControlLevel level);

struct CommandReply {
    bool ok = true;
    nlohmann::json data;     // when ok
    std::string error;       // when not
    std::string code;        // when not: usage, unknown_command, denied, failed, ...
    nlohmann::json details;  // extra members of a failure reply ("errors" of a reload)
    bool start_monitor = false;

    static CommandReply failure(std::string code, std::string error);
    // {"ok":true,"data":...} or {"ok":false,"error":"...","code":"...",...}
    nlohmann::json to_json() const;
    // The same as one line of text (no newline), valid UTF-8: see to_json_text().
    std::string to_text() const;
};

// One session as `conns` lists it.
nlohmann::json session_json(const SessionView& session);

using CommandArgs = std::vector<std::string>;

// A command's protocol facts (control_protocol.h), and here its help and
// handler.
struct ControlCommand {
    control_protocol::Command id;
    std::string_view name;  // one or two words: "conn kill"
    ControlLevel level;
    size_t min_args;
    size_t max_args;
    std::string_view usage;  // "conn kill ID"
    std::string_view help;
    CommandReply (*run)(ReadModel& model, const CommandArgs& args);
};

std::span<const ControlCommand> control_commands();

struct CommandMatch {
    const ControlCommand* command = nullptr;  // nullptr: `error` says why
    CommandArgs args;
    CommandReply error;
};

// The command whose name is the longest run of whole leading words
// ("stats reset" over "stats"); checks the argument count. No prefixes: the
// socket takes full words, smallctl expands abbreviations.
CommandMatch find_command(const std::vector<std::string>& words);

}  // namespace smalld
