// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The live page on the [metrics] listener: `/` (one self-contained HTML
// page, rendered on the server so that it works without JavaScript, and
// updating itself with it), `/stats.json` (what the page shows), `/healthz`.
// The event stream `/events` is live_stream.h.
//
// Everything the page shows comes from one snapshot (live_snapshot.h), read
// from the daemon's read model as the control commands are, and the live
// history, and written as JSON by live_snapshot_json(); the
// page's own script fetches the page again each second and swaps in its
// changing parts, so there is one renderer, and the page reads the same
// with and without JavaScript.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "units.h"

namespace smalld {

class LiveHistory;
class ReadModel;

// /stats.json: {"version": kStatsJsonVersion (the format's, render.h),
//  "daemon": {version (smalld's), state, uptime_seconds, last_reload, ...},
//  "stats": render_stats_json() (nested, the same format), "rows": [one per
//  instance and protocol served or with traffic: counters, open sessions,
//  rates, refusals and drops by reason, listening addresses], "series": the
//  charts' data (live_history.h), "problems": the badge's counts over the
//  last five minutes, "stamp": [the STAMP panel, one per stamp instance],
//  "sessions": [...], "sessions_open": N, "peers": [peers_json()
//  (peers_report.h), only when a stamp-sender instance exists]}
// Without `details` (privacy.h), last_reload says only how many errors a
// failed reload had, and the sessions and the peers have no addresses. Without
// `sessions` ([metrics] page_sessions = no) there are no "sessions" and no
// "sessions_open", and the page has no session table.
nlohmann::json live_snapshot_json(const ReadModel& model, const LiveHistory& history, bool details,
                                  bool sessions = true);

// `/`: the page for `snapshot`. `nonce` marks the inline style and script
// (the Content-Security-Policy allows nothing else).
std::string render_live_page(const nlohmann::json& snapshot, std::string_view nonce);

// The Content-Security-Policy header's value for a page with `nonce`.
std::string live_page_policy(std::string_view nonce);

// Text for HTML element content and quoted attribute values: & < > " ' escaped.
std::string html_escape(std::string_view text);

// The page writes its numbers with units.h, as smallctl, smallprobe, the
// status service and the log do, the exact value beside each (title,
// data-value).

// The page's charts (live_charts.cpp), as inline SVG. A chart has axes:
// time over the last `slots` steps of `step_seconds`, and the values in
// `format`'s unit, on a log scale when the values span three decades or
// more. Each series is a line of its own colour (class s0, s1, ...), named
// in the legend.
struct ChartSeries {
    std::string name;
    const nlohmann::json* values;  // per second, oldest first
};
std::string render_chart(const std::string& id, const std::string& title,
                         std::string (*format)(double), const std::vector<ChartSeries>& series,
                         size_t slots, double step_seconds = 1);
// A row's small chart: traffic and refusals plus drops per second.
std::string render_sparkline(const nlohmann::json& row_series, size_t slots);
// A histogram of [le, count] pairs (le in seconds, null for +Inf), as bars.
std::string render_histogram(const nlohmann::json& buckets);

// A member of a JSON object, or null when it is not one or has none.
const nlohmann::json& live_member(const nlohmann::json& object, const char* key);

// The peers panel (live_peers.cpp): one row per stamp-sender peer of the
// snapshot's "peers" (down or losing first), with sparklines of RTT p50 and
// loss from the series' "peers"; "" when the snapshot has no "peers" (no
// stamp-sender instance).
std::string render_peers_panel(const nlohmann::json& snapshot);
// CLOCK_REALTIME in nanoseconds, for the peers' figures.
int64_t live_wall_ns();

// The page's inline style sheet and script, and its icon, served at
// /favicon.svg (live_page_assets.cpp).
extern const std::string_view kLivePageStyle;
extern const std::string_view kLivePageScript;
extern const std::string_view kLivePageIcon;

}  // namespace smalld
