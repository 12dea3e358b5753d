// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The stamp-sender's peers as a JSON list, one object a peer, for the control
// socket's `peers` command (smallctl peers) and the live page: the instance
// (`service`), the peer, up, the counters, the loss by direction, the
// quantiles over the instance's window and when it last answered. A figure
// not known is null, never 0.

#include <nlohmann/json_fwd.hpp>

#include "stats.h"

namespace smalld {

// `now_ns`: CLOCK_REALTIME.
nlohmann::json peers_json(const Stats& stats, int64_t now_ns);

}  // namespace smalld
