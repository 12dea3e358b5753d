// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A UDP socket: reads datagrams in batches (recvmmsg), admits each (loop
// guard, ACL, rate), asks the service for a reply within the amplification
// cap, and sends the replies in one batch (sendmmsg) from the address each
// datagram was sent to; then tells the instance's bounce table what left.

#include <array>

#include "listener.h"

namespace smalld {

class UdpEndpoint final : public Listener {
  public:
    UdpEndpoint(ListenerContext& context, std::shared_ptr<Instance> instance,
                const SockAddr& configured, Fd fd, Origin origin);

    void start(event_base* base) override;
    void set_instance(std::shared_ptr<Instance> instance) override;

  private:
    static void on_ready_cb(evutil_socket_t, short, void* self);
    void datagrams_ready();
    // Reads, admits, answers and sends one batch; returns the datagrams read.
    unsigned serve_batch();
    // Counts and reports a drop; `loop` says which loop-guard layer saw it
    // (logged at a limited rate), nullptr for the others.
    void drop(const SockAddr& peer, DropReason reason, const char* loop = nullptr);
    // The transmit timestamps the instance's service wants, on the socket.
    void apply_tx_timestamping();
    // The per-datagram metadata the instance's type reads (ServiceSpec).
    void apply_datagram_metadata();
    // Hands the kernel's transmit timestamps waiting on the error queue to
    // the service, each with its reply's ticket.
    void collect_tx_timestamps();

    // Replies sent since transmit timestamps were enabled (the kernel
    // numbers them the same way), and the ticket of each of the last ones.
    struct TxPending {
        uint32_t id = 0;
        uint64_t ticket = 0;
    };
    static constexpr size_t kTxPending = 256;
    TxTimestamping tx_mode_ = TxTimestamping::None;
    uint32_t next_tx_id_ = 0;
    unsigned metadata_ = ~0u;  // asked of the kernel; ~0: not yet
    bool packet_info_ = true;  // IP_PKTINFO / IPV6_RECVPKTINFO on (needs_packet_info)
    SockAddr bound_local_;     // the bound address, port 0: each datagram's destination
                               // when packet_info_ is off
    std::array<TxPending, kTxPending> tx_pending_{};
};

}  // namespace smalld
