// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A UDP socket: reads datagrams in batches (recvmmsg), admits each (loop
// guard, ACL, rate), asks the service for a reply within the amplification
// cap, and sends the replies in one batch (sendmmsg) from the address each
// datagram was sent to; then tells the instance's bounce table what left.

#include "listener.h"

namespace smalld {

class UdpEndpoint final : public Listener {
  public:
    UdpEndpoint(ListenerContext& context, std::shared_ptr<Instance> instance,
                const SockAddr& configured, Fd fd, Origin origin);

    void start(event_base* base) override;

  private:
    static void on_ready_cb(evutil_socket_t, short, void* self);
    void datagrams_ready();
    // Counts and reports a drop; `loop` says which loop-guard layer saw it
    // (logged at a limited rate), nullptr for the others.
    void drop(const SockAddr& peer, DropReason reason, const char* loop = nullptr);
};

}  // namespace smalld
