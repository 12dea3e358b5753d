// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A user-space relay between a STAMP sender and a reflector on loopback that
// drops packets by a plan, per direction, and logs each drop: its log is the
// ground truth the sender's loss split must equal. Packets are numbered from
// 1 in the order the relay receives them from the sender; a reply is the
// number of the packet whose sequence number it carries. Unauthenticated
// packets only. A hook runs in the relay before each packet goes on, so a
// test can change the reflector at an exact point of the run (a reload, a
// flood) while the sender's next packets wait in the relay's socket.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "stamp_packet.h"
#include "stamp_relay_sockets.h"

namespace stamp_relay {

struct Plan {
    std::set<unsigned> forward, backward;  // the packets to drop, by number
    std::function<void(unsigned)> before;  // before packet N goes on (or is dropped)
};

class DropRelay : public RelaySockets {
  public:
    // Listens on 127.0.0.1 (port()), and talks to the reflector from `source`.
    DropRelay(uint16_t reflector_port, Plan plan, const char* source = "127.0.0.1")
        : RelaySockets(reflector_port, source), plan_(std::move(plan)) {
        // Packets wait here while a hook runs: room for a whole run (root,
        // as the namespace needs, may exceed rmem_max).
        for (int fd : {client_side_, reflector_side_}) {
            int bytes = 4 << 20;
            if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
        }
        start([this] { loop(); });
    }
    ~DropRelay() { stop(); }

    // The counts below are final after stop().
    unsigned forwarded() const { return forwarded_; }  // packets from the sender, dropped or not
    const std::vector<unsigned>& dropped_forward() const { return dropped_forward_; }
    const std::vector<unsigned>& dropped_backward() const { return dropped_backward_; }

  private:
    void loop() {
        namespace stamp = smalld::stamp;
        sockaddr_storage client{};
        socklen_t client_len = 0;
        std::map<uint32_t, unsigned> number_of;  // sender sequence -> packet number
        uint8_t buf[65536];
        // Bounded: the test stops it, and it never runs more than 120 s.
        auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        while (!stopping() && std::chrono::steady_clock::now() < give_up) {
            pollfd p[2] = {{client_side_, POLLIN, 0}, {reflector_side_, POLLIN, 0}};
            if (poll(p, 2, 10) <= 0) continue;
            if (p[0].revents & POLLIN) {
                client_len = sizeof client;
                ssize_t n = recvfrom(client_side_, buf, sizeof buf, 0,
                                     reinterpret_cast<sockaddr*>(&client), &client_len);
                if (n >= 4) {
                    unsigned number = ++forwarded_;
                    number_of[stamp::load32(buf)] = number;
                    if (plan_.before) plan_.before(number);
                    if (plan_.forward.count(number))
                        log(dropped_forward_, "forward", number);
                    else
                        send(reflector_side_, buf, size_t(n), 0);
                }
            }
            if (p[1].revents & POLLIN) {
                ssize_t n = recv(reflector_side_, buf, sizeof buf, 0);
                size_t at = stamp::kUnauthenticated.sender_sequence;
                if (n < ssize_t(at + 4) || !client_len) continue;
                auto it = number_of.find(stamp::load32(buf + at));
                if (it != number_of.end() && plan_.backward.count(it->second))
                    log(dropped_backward_, "backward", it->second);
                else
                    sendto(client_side_, buf, size_t(n), 0, reinterpret_cast<sockaddr*>(&client),
                           client_len);
            }
        }
    }
    static void log(std::vector<unsigned>& to, const char* direction, unsigned number) {
        to.push_back(number);
        fprintf(stderr, "relay: dropped %s packet %u\n", direction, number);
    }

    Plan plan_;
    std::atomic<unsigned> forwarded_{0};
    std::vector<unsigned> dropped_forward_, dropped_backward_;
};

}  // namespace stamp_relay
