// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Renderers of the statistics and the gauges of the sessions open now. Each
// walks visit_stats(), so the control socket, `smallctl metrics` and the
// /metrics endpoint show the same numbers.

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "stats.h"

namespace smalld {

// The stats as JSON, format kStatsJsonVersion: a dotted name is a path of
// nested objects ("conn.rejected_total" is {"conn": {"rejected_total": ...}},
// the standard process_* metrics are under "process"), so jq reads
// .conn.rejected_total:
// {"version": 2, "process": {"uptime_seconds": 1.5, "open_fds": 9, ...},
//  "conn": {"current": 0, ...},
//  "instances": {"echo": {"type": "echo",
//                         "tcp": {"sessions_total": 3,
//                                 "conn": {"rejected_total": {"acl": 0, ...}},
//                                 "session": {"duration_seconds_bucket":
//                                                 [[0.01, 0], ..., ["+Inf", 3]],
//                                             "duration_seconds_sum": 2.5, ..._count: 3}},
//                         "udp": {...}}}}
// Unlabelled samples are under the root; labelled ones under their instance
// and protocol; samples with a reason become an object by reason; histogram
// buckets an array of [upper bound, cumulative count] in numeric order, the
// last bound the string "+Inf".
inline constexpr int kStatsJsonVersion = 2;
nlohmann::json render_stats_json(const Stats& stats, const OpenSessions& open);
// A sample's value as render_stats_json writes it: a whole number below 2^53
// as an integer (counters stay integers), anything else as a double.
nlohmann::json stats_json_number(double value);

// The one way JSON leaves the daemon (replies, monitor events): compact text
// that is always valid UTF-8. A string whose bytes are not UTF-8 (a config
// value quoted in an error, a path) shows them as \xHH. Never throws for
// that; nlohmann's dump() would.
// The value at dotted `key` under `root`, made (null) if absent.
nlohmann::json& json_path(nlohmann::json& root, std::string_view key);

std::string to_json_text(const nlohmann::json& value);

// Prometheus text exposition format 0.0.4: "smalld_" + key with '.' -> '_'
// (the standard process_* metrics keep their names), one HELP and TYPE per
// family, labels service/type/proto/reason (le for histogram buckets), and
// smalld_build_info{version="..."} 1.
std::string render_prometheus(const Stats& stats, const OpenSessions& open,
                              std::string_view version);

// "conn.rejected_total" -> "smalld_conn_rejected_total"; "process_open_fds" stays.
std::string prometheus_name(std::string_view key);

}  // namespace smalld
