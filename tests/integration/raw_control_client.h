// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Part of harness.h (include that). A raw control-socket client for the
// tests: one AF_UNIX connection with a line buffer, one request per line and
// one reply per line, as smallctl
// speaks it, but byte for byte under the test's control (bad bytes, partial
// lines, a client that stops reading). Every wait is bounded; a wait of
// kPatienceMs that runs out says so on stderr.

#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.h"

namespace harness {

class ControlClient {
  public:
    explicit ControlClient(const std::string& path) {
        fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
        if (fd_ >= 0 && connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            close(fd_);
            fd_ = -1;
        }
    }
    ~ControlClient() {
        if (fd_ >= 0) close(fd_);
    }
    ControlClient(const ControlClient&) = delete;
    ControlClient& operator=(const ControlClient&) = delete;

    bool ok() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    // True once the daemon closed the connection.
    bool eof() const { return eof_; }

    bool send(const std::string& data) { return fd_ >= 0 && send_all(fd_, data); }

    // The next line without its newline; "" on timeout or EOF (see eof()).
    // Empty lines, a monitor's keep-alives every 15 s, are skipped.
    std::string line(int timeout_ms = kPatienceMs) {
        using Clock = std::chrono::steady_clock;
        auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
        for (;;) {
            size_t nl = buffer_.find('\n');
            if (nl == 0) {
                buffer_.erase(0, 1);
                continue;
            }
            if (nl != std::string::npos) {
                std::string out = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                return out;
            }
            if (fd_ < 0) return "";
            auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            pollfd p{fd_, POLLIN, 0};
            if (left.count() <= 0 || poll(&p, 1, int(left.count())) <= 0) {
                report_expired(timeout_ms, "a line from the control socket");
                return "";
            }
            char buf[65536];
            ssize_t n = recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) {
                eof_ = true;
                return "";
            }
            buffer_.append(buf, size_t(n));
        }
    }

    // Sends one request line and returns the reply line as the daemon wrote it.
    std::string request_line(const std::string& text, int timeout_ms = kPatienceMs) {
        if (!send(text + "\n")) return "";
        return line(timeout_ms);
    }

    // Sends one request line and parses the reply; a discarded (is_discarded())
    // value when there was none or it was not JSON, which is shown on stderr.
    nlohmann::json request(const std::string& text, int timeout_ms = kPatienceMs) {
        std::string reply = request_line(text, timeout_ms);
        auto j = nlohmann::json::parse(reply, nullptr, false);
        if (j.is_discarded()) fprintf(stderr, "control reply is not JSON: \"%s\"\n", reply.c_str());
        return j;
    }

  private:
    int fd_ = -1;
    std::string buffer_;
    bool eof_ = false;
};

using ControlClients = std::vector<std::unique_ptr<ControlClient>>;

// Control clients held open by another user, to see what they cannot lock
// out: a child process becomes nobody (uid and gid 65534), runs `open`, which
// fills the list and returns a number to report (how many were accepted,
// say), tells the parent, and keeps every client open until release(). The
// child never reads what the daemon sends them. Needs root.
class ClientsAsNobody {
  public:
    explicit ClientsAsNobody(const std::function<int(ControlClients&)>& open) {
        int ready[2], hold[2];
        if (pipe(ready) != 0) return;
        if (pipe(hold) != 0) {
            close(ready[0]);
            close(ready[1]);
            return;
        }
        child_ = fork();
        if (child_ == 0) {
            close(ready[0]);
            close(hold[1]);
            if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(1);
            ControlClients clients;
            int reported = open(clients);
            (void)!write(ready[1], &reported, sizeof reported);
            // Until the parent closes `hold` (or dies, which closes it too).
            pollfd p{hold[0], POLLIN, 0};
            poll(&p, 1, 10 * 60 * 1000);
            _exit(0);
        }
        close(ready[1]);
        close(hold[0]);
        ready_ = ready[0];
        hold_ = hold[1];
    }
    ~ClientsAsNobody() { release(); }
    ClientsAsNobody(const ClientsAsNobody&) = delete;
    ClientsAsNobody& operator=(const ClientsAsNobody&) = delete;

    // Waits until the child holds its clients; what `open` returned, or -1
    // when the child did not say within `timeout_ms` (or could not start).
    int opened(int timeout_ms = 2 * kPatienceMs) {
        if (ready_ < 0) return -1;
        int reported = -1;
        pollfd p{ready_, POLLIN, 0};
        if (poll(&p, 1, timeout_ms) != 1 ||
            read(ready_, &reported, sizeof reported) != ssize_t(sizeof reported)) {
            report_expired(timeout_ms, "the clients held as nobody");
            return -1;
        }
        return reported;
    }

    // Closes the clients (the child exits) and returns the child's exit
    // status: 0 when it could become nobody and hold them.
    int release() {
        if (hold_ >= 0) close(hold_);
        if (ready_ >= 0) close(ready_);
        hold_ = ready_ = -1;
        if (child_ <= 0) return -1;
        int status = -1;
        waitpid(child_, &status, 0);
        child_ = -1;
        return status;
    }

  private:
    pid_t child_ = -1;
    int ready_ = -1;
    int hold_ = -1;
};

}  // namespace harness
