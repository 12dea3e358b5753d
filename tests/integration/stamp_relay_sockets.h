// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// What every user-space STAMP relay of the tests has: a socket the sender
// sends to (127.0.0.1, port()), one connected to the reflector, and the
// thread that moves packets between them until stop(). A relay derived from
// it starts its loop in its constructor and calls stop() in its destructor
// (before its own members go).

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <thread>

#include "harness.h"

namespace stamp_relay {

class RelaySockets {
  public:
    // Talks to the reflector from `source`.
    RelaySockets(uint16_t reflector_port, const char* source) {
        client_side_ = protect::udp_socket("127.0.0.1");
        sockaddr_in a{};
        socklen_t len = sizeof a;
        getsockname(client_side_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        reflector_side_ = protect::udp_socket(source);
        sockaddr_storage to = protect::make_addr("127.0.0.1", reflector_port, &len);
        connect(reflector_side_, reinterpret_cast<sockaddr*>(&to), len);
    }
    ~RelaySockets() { stop(); }
    RelaySockets(const RelaySockets&) = delete;
    RelaySockets& operator=(const RelaySockets&) = delete;

    uint16_t port() const { return port_; }
    // Ends the relay; what it logged is final after it.
    void stop() {
        if (!thread_.joinable()) return;
        stop_ = true;
        thread_.join();
        close(client_side_);
        close(reflector_side_);
    }

  protected:
    void start(std::function<void()> loop) { thread_ = std::thread(std::move(loop)); }
    bool stopping() const { return stop_; }

    int client_side_ = -1, reflector_side_ = -1;

  private:
    uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace stamp_relay
