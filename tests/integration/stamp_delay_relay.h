// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A user-space relay between a STAMP sender and a reflector on loopback that
// holds every forward packet for one fixed time and every backward packet
// for another, and logs for each packet its own kernel receive time
// (SO_TIMESTAMPNS) and its kernel transmit time (SO_TIMESTAMPING, software):
// its log is the ground truth of the hold it applied, whatever the machine's
// load did to its timers. Packets are named by the sender's sequence number.
// The relay thread asks for SCHED_FIFO and a 1 ns timer slack, and spins the
// last 100 us of each hold, so the holds stay tight; where it may not, the
// log is still exact.

#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "stamp_packet.h"
#include "stamp_relay_sockets.h"

namespace stamp_relay {

// One packet's hold: CLOCK_REALTIME nanoseconds, as the kernel stamped them.
struct Hold {
    uint32_t sequence = 0;
    int64_t received_ns = 0, sent_ns = 0;
    bool kernel_times = false;  // both from the kernel (else a clock reading)
    int64_t held_ns() const { return sent_ns - received_ns; }
};

inline int64_t realtime_ns() {
    timespec t{};
    clock_gettime(CLOCK_REALTIME, &t);
    return int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

class DelayRelay : public RelaySockets {
  public:
    // Listens on 127.0.0.1 (port()); `authenticated` says where a reply
    // carries the sender's sequence number.
    DelayRelay(uint16_t reflector_port, int64_t forward_ns, int64_t backward_ns, bool authenticated)
        : RelaySockets(reflector_port, "127.0.0.1"),
          delay_{forward_ns, backward_ns},
          authenticated_(authenticated) {
        for (int fd : {client_side_, reflector_side_}) {
            int on = 1;
            setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
            int flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
                        SOF_TIMESTAMPING_OPT_TSONLY;
            setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags);
        }
        start([this] { loop(); });
    }
    ~DelayRelay() { stop(); }

    // The logs below are final after stop().
    const std::vector<Hold>& forward_log() const { return log_[0]; }
    const std::vector<Hold>& backward_log() const { return log_[1]; }
    bool realtime() const { return realtime_; }

  private:
    struct Held {
        Hold hold;
        std::string bytes;
    };
    // A datagram and its kernel receive time (or the clock's, said so).
    ssize_t receive(int fd, uint8_t* buf, size_t size, Hold* h) {
        iovec iov{buf, size};
        alignas(cmsghdr) char control[256];
        msghdr m{};
        m.msg_name = fd == client_side_ ? &client_ : nullptr;
        m.msg_namelen = fd == client_side_ ? sizeof client_ : 0;
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = control;
        m.msg_controllen = sizeof control;
        ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT);
        if (n < 0) return n;
        if (fd == client_side_) client_len_ = m.msg_namelen;
        h->received_ns = 0;
        for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                timespec t{};
                memcpy(&t, CMSG_DATA(c), sizeof t);
                h->received_ns = int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
            }
        h->kernel_times = h->received_ns != 0;
        if (!h->kernel_times) h->received_ns = realtime_ns();
        return n;
    }
    // Sends and reads the kernel's transmit time from the error queue (on
    // loopback it is there when send returns; waits at most 100 ms for it).
    void transmit(int fd, Held& p) {
        int64_t before = realtime_ns();
        if (fd == client_side_)
            sendto(fd, p.bytes.data(), p.bytes.size(), 0, reinterpret_cast<sockaddr*>(&client_),
                   client_len_);
        else
            send(fd, p.bytes.data(), p.bytes.size(), 0);
        p.hold.sent_ns = 0;
        for (int tries = 0; tries < 100 && !p.hold.sent_ns; ++tries) {
            alignas(cmsghdr) char control[256];
            char data[64];
            iovec iov{data, sizeof data};
            msghdr m{};
            m.msg_iov = &iov;
            m.msg_iovlen = 1;
            m.msg_control = control;
            m.msg_controllen = sizeof control;
            if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
                pollfd w{fd, 0, 0};
                poll(&w, 1, 1);
                continue;
            }
            for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
                    scm_timestamping t{};
                    memcpy(&t, CMSG_DATA(c), sizeof t);
                    p.hold.sent_ns = int64_t(t.ts[0].tv_sec) * 1'000'000'000 + t.ts[0].tv_nsec;
                }
        }
        if (!p.hold.sent_ns) {
            p.hold.sent_ns = before;
            p.hold.kernel_times = false;
        }
    }
    void loop() {
        sched_param rt{};
        rt.sched_priority = 10;
        realtime_ = pthread_setschedparam(pthread_self(), SCHED_FIFO, &rt) == 0;
        prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
        std::deque<Held> held[2];  // forward, backward: each in order, one delay
        uint8_t buf[65536];
        // Bounded: the test stops it, and it never runs more than 120 s.
        int64_t give_up = realtime_ns() + 120'000'000'000;
        constexpr int64_t kSpin = 100'000;
        while (!stopping() && realtime_ns() < give_up) {
            int64_t wait = 10'000'000;
            for (auto& q : held)
                if (!q.empty())
                    wait = std::min(wait, q.front().hold.sent_ns - realtime_ns() - kSpin);
            wait = std::max<int64_t>(wait, 0);
            timespec t{time_t(wait / 1'000'000'000), long(wait % 1'000'000'000)};
            pollfd p[2] = {{client_side_, POLLIN, 0}, {reflector_side_, POLLIN, 0}};
            ppoll(p, 2, &t, nullptr);
            for (int d = 0; d < 2; ++d) {
                if (!(p[d].revents & POLLIN)) continue;
                Held h;
                ssize_t n = receive(p[d].fd, buf, sizeof buf, &h.hold);
                size_t at = d == 0           ? 0
                            : authenticated_ ? smalld::stamp::kAuthenticated.sender_sequence
                                             : smalld::stamp::kUnauthenticated.sender_sequence;
                if (n < ssize_t(at + 4) || (d == 1 && !client_len_)) continue;
                h.hold.sequence = smalld::stamp::load32(buf + at);
                h.bytes.assign(reinterpret_cast<char*>(buf), size_t(n));
                // Until it goes, sent_ns is the release time.
                h.hold.sent_ns = h.hold.received_ns + delay_[d];
                held[d].push_back(std::move(h));
            }
            for (int d = 0; d < 2; ++d)
                while (!held[d].empty() && held[d].front().hold.sent_ns - realtime_ns() <= kSpin) {
                    while (realtime_ns() < held[d].front().hold.sent_ns) {
                    }
                    transmit(d == 0 ? reflector_side_ : client_side_, held[d].front());
                    log_[d].push_back(held[d].front().hold);
                    held[d].pop_front();
                }
        }
    }

    int64_t delay_[2];
    bool authenticated_;
    sockaddr_storage client_{};
    socklen_t client_len_ = 0;
    bool realtime_ = false;
    std::vector<Hold> log_[2];
};

}  // namespace stamp_relay
