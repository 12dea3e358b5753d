// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The live page on the [metrics] listener: `/` (one self-contained HTML
// page, rendered on the server so that it works without JavaScript, and
// updating itself with it), `/stats.json` (what the page shows), `/healthz`.
// The event stream `/events` is live_stream.h.
//
// Everything the page shows comes from one snapshot, built from the same
// renderers as the control socket's replies (render_stats_json, and the
// `status`, `listeners` and `conns` commands); the page's own script
// renders that snapshot again, the same way, each time it polls.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace smalld {

class Daemon;
class LiveHistory;

// The live sessions the snapshot lists (the oldest first); the count of all
// open ones is beside them.
constexpr size_t kLiveSessionsShown = 100;

// /stats.json: {"version": kStatsJsonVersion (the format's, render.h),
//  "daemon": {version (smalld's), state, uptime_seconds, last_reload, ...},
//  "stats": render_stats_json() (nested, the same format), "rows": [one per instance and protocol
//  served or with traffic: counters, open sessions, rates, refusals and drops by reason, listening
//  addresses], "series": the charts' data, "sessions": [...], "sessions_open": N}
// Without `details` (privacy.h), last_reload says only how many errors a
// failed reload had, and the sessions have no peer addresses.
nlohmann::json live_snapshot(Daemon& daemon, const LiveHistory& history, bool details);

// `/`: the page for `snapshot`. `nonce` marks the inline style and script
// (the Content-Security-Policy allows nothing else).
std::string render_live_page(const nlohmann::json& snapshot, std::string_view nonce);

// The Content-Security-Policy header's value for a page with `nonce`.
std::string live_page_policy(std::string_view nonce);

// Text for HTML element content and quoted attribute values: & < > " ' escaped.
std::string html_escape(std::string_view text);

// How the page writes numbers (its script writes them the same way):
// "12.5", "3 KiB/s", "1h 02m".
std::string format_rate(double per_second);
std::string format_byte_rate(double per_second);
std::string format_duration(double seconds);

// The page's inline style sheet and script, and its icon, served at
// /favicon.svg (live_page_assets.cpp).
extern const std::string_view kLivePageStyle;
extern const std::string_view kLivePageScript;
extern const std::string_view kLivePageIcon;

}  // namespace smalld
