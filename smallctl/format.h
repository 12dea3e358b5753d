// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Turns the daemon's JSON replies into text for people. Pure: tests feed it
// JSON and compare strings.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace smallctl {

// Columns padded to their widest cell, two spaces apart; columns whose cells
// are all numbers are right-aligned. No trailing blanks.
std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows);

// The text for a successful reply to `command` (the daemon's name for it).
// Throws nlohmann::json::exception when `data` is not of the expected shape.
std::string format_reply(const std::string& command, const nlohmann::json& data);

// The text for the whole successful `reply` object to `command`, or nullopt
// with *error set when its `data` is missing or not of the type the command
// returns: never throws, whatever the daemon sent.
std::optional<std::string> render_reply(const std::string& command, const nlohmann::json& reply,
                                        std::string* error);

// `peers`: one row a peer (format_peers.cpp).
std::string format_peers(const nlohmann::json& data);

// One monitor event as a line: "12:00:01.250 session_open id=3 instance=echo ...".
std::string format_event(const nlohmann::json& event, bool utc = false);

}  // namespace smallctl
