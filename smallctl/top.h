// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// `smallctl top`: rates per instance and protocol from two `stats` replies.
// Pure: tests feed it two JSON snapshots and compare the text.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace smallctl {

// The screen for the interval between two `stats` data objects: a summary
// line, then one row per instance and protocol with open sessions and the
// rates (per second, over the daemon's own clock: process.uptime_seconds):
// sessions and datagrams as counts, bytes as bits per second (units.h).
// A counter that went down (stats reset) counts from zero.
std::string render_top(const nlohmann::json& before, const nlohmann::json& after);

// The command itself (top_run.cpp, in the smallctl program): `stats` every
// second on one connection, the screen redrawn on a terminal, one snapshot
// otherwise; each reply within timeout_ms. Returns smallctl's exit status.
int run_top(const std::string& socket_path, const std::vector<std::string>& args, int timeout_ms);

}  // namespace smallctl
