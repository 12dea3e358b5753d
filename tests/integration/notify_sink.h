// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Part of harness.h (include that). The service manager's end of
// NOTIFY_SOCKET, for tests of what smalld tells systemd (READY=1,
// RELOADING=1, STATUS=, ...): a datagram socket in a directory of its own,
// readable by a daemon that runs as another user.

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "harness.h"

namespace harness {

class NotifySink {
  public:
    NotifySink() {
        char templ[] = "/tmp/smalld-notify.XXXXXX";
        dir_ = mkdtemp(templ);
        path_ = dir_ + "/notify";
        fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
        bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        // The daemon may run as another user than the one reading.
        chmod(dir_.c_str(), 0755);
        chmod(path_.c_str(), 0666);
    }
    ~NotifySink() {
        close(fd_);
        unlink(path_.c_str());
        rmdir(dir_.c_str());
    }
    std::string env() const { return "NOTIFY_SOCKET=" + path_; }
    // The next message containing `needle`, skipping others; empty on timeout.
    std::string next(const std::string& needle, int timeout_ms = kPatienceMs) {
        for (int i = 0; i < 100 && wait_fd(fd_, POLLIN, timeout_ms); ++i) {
            char buf[4096];
            ssize_t n = recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) break;
            std::string message(buf, static_cast<size_t>(n));
            if (message.find(needle) != std::string::npos) return message;
        }
        report_expired(timeout_ms, "\"" + needle + "\" on NOTIFY_SOCKET");
        return {};
    }

  private:
    std::string dir_, path_;
    int fd_ = -1;
};

}  // namespace harness
