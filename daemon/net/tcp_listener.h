// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A listening TCP socket: accepts in batches (acceptor.h), admits each
// connection (ACL, limits, per-source count, rate) and hands it to the
// session table.

#include "acceptor.h"
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
    void admit(int fd, const SockAddr& peer);
    void reject(const SockAddr& peer, RejectReason reason);

    // Bound to one address (not a wildcard): every session's local address,
    // known without asking the kernel.
    const SockAddr* local_ = nullptr;
    Acceptor acceptor_;
};

}  // namespace smalld
