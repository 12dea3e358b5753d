// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Socket activation: the sockets systemd passed, matched to instances by
// FileDescriptorName= (the instance name) and checked for the right kind
// before anything serves on them. The daemon adopts them into its listener
// set; they replace their instance's configured addresses.

#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "event_handle.h"
#include "listener.h"

namespace smalld {

struct ActivatedSocket {
    const InstanceConfig* config;  // the instance it is named for
    Proto proto;
    SockAddr addr;
    Fd fd;  // non-blocking
};

// Takes every socket systemd passed into `out`. The first that cannot serve
// (no such instance, not an IPv4/IPv6 listening stream or datagram socket, a
// dual-stack datagram socket) ends it: the message says which fd and why.
std::optional<std::string> take_activated_sockets(const Config& config,
                                                  std::vector<ActivatedSocket>& out);

}  // namespace smalld
