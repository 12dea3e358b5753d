#pragma once
// Turns the daemon's JSON replies into text for people. Pure: tests feed it
// JSON and compare strings.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace smallctl {

// Columns padded to their widest cell, two spaces apart; columns whose cells
// are all numbers are right-aligned. No trailing blanks.
std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows);

// The text for a successful reply to `command` (the daemon's name for it).
std::string format_reply(const std::string& command, const nlohmann::json& data);

// One monitor event as a line: "12:00:01.250 session_open id=3 instance=echo ...".
std::string format_event(const nlohmann::json& event, bool utc = false);

// "1d 02h 03m 04s", "02m 03s", "5.2s".
std::string format_duration(double seconds);

}  // namespace smallctl
