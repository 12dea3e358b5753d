// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The control protocol's facts that both ends rely on, in one header shared
// by the daemon (control_server.cpp) and smallctl (as chrony's candm.h is):
// one JSON object a line each way, and while a monitor is open an empty
// line at least every kMonitorKeepAliveMs, so a client can tell a quiet
// daemon from a stuck one.

namespace smalld::control_protocol {

inline constexpr int kMonitorKeepAliveMs = 15'000;

}  // namespace smalld::control_protocol
