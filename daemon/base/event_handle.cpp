// SPDX-License-Identifier: BSD-2-Clause
#include "event_handle.h"

#include <unistd.h>

namespace smalld {

void Fd::reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
}

}  // namespace smalld
