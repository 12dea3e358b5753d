// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// One entry point per mode. Each runs to completion and fills run.result().

#include "run.h"

namespace smallprobe {

void run_stream(Run& run);              // echo over TCP, line
void run_udp_echo(Run& run);            // echo -u (-R: open loop)
void run_udp_echo_open_loop(Run& run);  // echo -u -R
void run_bulk_tcp(Run& run);            // discard, chargen
void run_bulk_udp(Run& run);            // discard -u, chargen -u
void run_connect(Run& run);             // time, daytime, qotd, status, connect
void run_hold(Run& run);                // idle, slowread

}  // namespace smallprobe
