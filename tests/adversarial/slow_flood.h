// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A slow-request flood for the availability tests: connections from many
// sources, each sending the start of a request and then one byte a second,
// never finishing it (slowloris), or nothing at all; a connection the daemon
// closes is opened again a second later. The caller drives it a round at a time (from a
// thread, or a child process) and stops it; every round is bounded.

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace adversary {

class SlowFlood {
  public:
    // A non-blocking connection from source number `source` (connected or
    // connecting), or -1 when none could be opened now.
    using Open = std::function<int(int source)>;

    SlowFlood(int sources, int per_source, std::string first, std::string dribble, Open open)
        : first_(std::move(first)), dribble_(std::move(dribble)), open_(std::move(open)) {
        for (int s = 0; s < sources; ++s)
            for (int i = 0; i < per_source; ++i) slots_.push_back(Slot{s});
    }
    ~SlowFlood() {
        for (Slot& s : slots_)
            if (s.fd >= 0) close(s.fd);
    }
    SlowFlood(const SlowFlood&) = delete;
    SlowFlood& operator=(const SlowFlood&) = delete;

    // One pass over every connection: open what is due, see what the daemon
    // closed (a refusal or a close), send what is due.
    void round() {
        auto now = std::chrono::steady_clock::now();
        for (Slot& s : slots_) {
            if (s.fd < 0) {
                if (now < s.reopen_at) continue;
                s.fd = open_(s.source);
                s.sent_first = false;
                s.next_byte_at = now + std::chrono::seconds(1);
                if (s.fd < 0) {
                    s.reopen_at = now + std::chrono::seconds(1);
                    continue;
                }
                ++opened_;
            }
            char buf[4096];
            ssize_t n = recv(s.fd, buf, sizeof buf, MSG_DONTWAIT);
            bool pending = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOTCONN);
            if (!pending) {  // a reply (a refusal), the end, or an error
                close(s.fd);
                s.fd = -1;
                s.reopen_at = now + std::chrono::seconds(1);
                ++closed_;
                continue;
            }
            if (!s.sent_first) {
                // A silent flood (empty `first`) holds connections once they are up.
                if (first_.empty() ? send(s.fd, "", 0, MSG_DONTWAIT | MSG_NOSIGNAL) == 0
                                   : send(s.fd, first_.data(), first_.size(),
                                          MSG_DONTWAIT | MSG_NOSIGNAL) == ssize_t(first_.size()))
                    s.sent_first = true;
            } else if (!dribble_.empty() && now >= s.next_byte_at) {
                char byte = dribble_[s.dribbled++ % dribble_.size()];
                (void)!send(s.fd, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
                s.next_byte_at = now + std::chrono::seconds(1);
            }
        }
    }

    // Connections open now that have sent the start of their request.
    size_t holding() const {
        size_t n = 0;
        for (const Slot& s : slots_) n += s.fd >= 0 && s.sent_first;
        return n;
    }
    size_t slots() const { return slots_.size(); }
    uint64_t opened() const { return opened_; }
    uint64_t closed() const { return closed_; }

  private:
    struct Slot {
        int source = 0;
        int fd = -1;
        bool sent_first = false;
        size_t dribbled = 0;
        std::chrono::steady_clock::time_point reopen_at{};
        std::chrono::steady_clock::time_point next_byte_at{};
    };
    std::string first_;
    std::string dribble_;
    Open open_;
    std::vector<Slot> slots_;
    uint64_t opened_ = 0;
    uint64_t closed_ = 0;
};

}  // namespace adversary
