// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Running as another user: `[daemon] user` applies when smalld starts as root
// outside systemd (under systemd the unit's User= decides). The control socket
// asks before the drop which user will own it; the daemon drops once every
// socket is bound.

#include <sys/types.h>

#include "config.h"

namespace smalld {

// The uid the daemon will run as after drop_privileges(), or uid_t(-1) when
// it will not change user. Files it must still remove later go to that uid.
uid_t user_after_drop(const DaemonConfig& config);

// Changes to `config.user` when it applies; says in the log why not when it
// does not. A drop that fails, or does not hold, ends the process (exit 71):
// never run on as root by mistake.
void drop_privileges(const DaemonConfig& config);

}  // namespace smalld
