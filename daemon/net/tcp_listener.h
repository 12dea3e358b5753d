// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A listening TCP socket: accepts in batches, admits each connection (ACL,
// limits, per-source count, rate) and hands it to the session table. On
// EMFILE/ENFILE it pauses accepting for a second instead of spinning.

#include "listener.h"

namespace smalld {

class TcpListener final : public Listener {
  public:
    TcpListener(ListenerContext& context, std::shared_ptr<Instance> instance,
                const SockAddr& configured, Fd fd, Origin origin);

    void start(event_base* base) override;
    void stop() override;
    // A new backlog applies in place.
    void set_instance(std::shared_ptr<Instance> instance) override;

  private:
    static void on_ready_cb(evutil_socket_t, short, void* self);
    static void on_resume_cb(evutil_socket_t, short, void* self);
    void accept_ready();
    void admit(int fd, const SockAddr& peer);
    void reject(const SockAddr& peer, RejectReason reason);

    // Bound to one address (not a wildcard): every session's local address,
    // known without asking the kernel.
    const SockAddr* local_ = nullptr;
    EventHandle resume_;  // accept paused on EMFILE/ENFILE
};

}  // namespace smalld
