// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// systemd integration through sd-daemon: readiness and status notification,
// the watchdog, and sockets passed by socket activation. Without libsystemd
// (or outside systemd) every call does nothing.

#include <chrono>
#include <string>
#include <vector>

namespace smalld::notify {

void ready(const std::string& status);
void status(const std::string& status);
void reloading();  // RELOADING=1 with MONOTONIC_USEC
void stopping();
void watchdog_ping();
// Half the watchdog interval systemd asked for, or zero when it asked for none.
std::chrono::microseconds watchdog_interval();

struct PassedSocket {
    int fd;
    std::string name;  // FileDescriptorName=
};
// Takes the sockets systemd passed (and clears LISTEN_FDS from the environment).
std::vector<PassedSocket> passed_sockets();

}  // namespace smalld::notify
