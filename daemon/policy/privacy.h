// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// What a network client may see. Everything smalld shows over the network
// (the status service, and the live page, /stats.json and /events of the
// [metrics] listener) follows one rule: by default no file paths, no quoted
// configuration text and no addresses of other clients; a reload failure is
// a count and where to look. A `details` key ([metrics] details, a status
// instance's details) names the networks that see everything. The control
// socket, which checks its peer's uid, always gets the details.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "address.h"

namespace smalld {

// A `details` value: "no" or empty (nobody, the default), "yes" (every
// client the listener admits), or a list of prefixes in the syntax of
// `allow` ("127.0.0.0/8, ::1"). False and *error when it does not parse.
bool parse_details(std::string_view value, std::vector<Cidr>& networks, std::string* error);

// The one question: may `peer` see the operator's details?
bool may_see_details(const std::vector<Cidr>& networks, const SockAddr& peer);

// The last reload's result for a client without details: "none", "ok", or
// "failed: 2 errors; see smallctl status or the log".
std::string public_reload_result(const std::string& last_reload, size_t errors);

// An event of the bus (event_bus.h) for a client without details: no peer
// address; a reload's errors and changes (which quote the files and name
// paths) as one line that counts them.
nlohmann::json public_event(const nlohmann::json& event);

// A session as the `conns` command lists it, without its peer's address.
void hide_peer(nlohmann::json& session);

}  // namespace smalld
