// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The session log: one line per TCP session opened and closed (log_connections
// = yes), and one per connection or datagram refused. Each asks its rate
// limiter first, so a flood pays for no line that nobody will see.

namespace smalld {

class Session;
struct Instance;
struct SockAddr;
enum class Proto;

void log_session_open(const Session& session);
void log_session_close(const Session& session, double seconds, const char* reason);
void log_refusal(const Instance& instance, Proto proto, const SockAddr& peer, const char* reason);

}  // namespace smalld
