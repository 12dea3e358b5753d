// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The daemon's listening sockets, and how a configuration changes them. A
// change is planned first: plan_listeners() is pure, computed from the running
// listeners' keys and the new configuration, and tested without sockets.
// Then every socket the plan opens is bound, and only once all are in hand is
// the plan committed. Start-up is the same plan, from no listeners or from the
// sockets systemd passed. Each wanted listener (instance, protocol, address)
// is, in this order of preference:
//   kept        - the instance already listens there (systemd's sockets of a
//                 configured instance are always kept, and replace its
//                 configured addresses);
//   handed over - another listener at the same protocol and configured
//                 address is let go by its instance (a renamed instance, an
//                 address moved between instances): the socket changes owner
//                 without ever closing, so no connection attempt is refused.
//                 A port-0 listener goes only to an instance of its type:
//                 the configuration asked for no port in particular;
//   opened      - a new socket.
// Listeners nobody wants any more are closed; sessions are never dropped.

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "listener.h"

namespace smalld {

// What a plan knows of a running listener.
struct ListenerKey {
    std::string instance;
    ServiceType type = ServiceType::Echo;
    Proto proto = Proto::Tcp;
    SockAddr configured;
    Origin origin = Origin::Config;

    static ListenerKey of(const Listener& listener);
    // "echo tcp 127.0.0.1:7", and " systemd" after a socket systemd passed.
    std::string to_string() const;
};

// "tcp 127.0.0.1:7"
std::string describe(Proto proto, const SockAddr& addr);

struct ListenerPlan {
    enum class Step { Close, Keep, HandOver };
    struct Running {
        Step step = Step::Close;
        std::string instance;  // Keep, HandOver: the instance it serves next
    };
    struct Open {
        const InstanceConfig* config;  // in the configuration planned for
        Proto proto;
        SockAddr addr;
    };
    std::vector<Running> running;  // one per running listener, in their order
    std::vector<Open> open;        // in the configuration's order, TCP before UDP

    // True when listeners run and none of them would remain.
    bool closes_all() const;
};

ListenerPlan plan_listeners(std::span<const ListenerKey> running,
                            const std::vector<InstanceConfig>& next);

using InstanceMap = std::map<std::string, std::shared_ptr<Instance>>;

class ListenerSet {
  public:
    explicit ListenerSet(ListenerContext& context) : context_(context) {
        context_.own_udp = &own_udp_;
    }

    const std::vector<std::unique_ptr<Listener>>& all() const { return listeners_; }
    std::vector<ListenerKey> keys() const;
    size_t count(Proto proto) const;

    // A socket systemd passed, taken before the first plan.
    void adopt(std::unique_ptr<Listener> listener);
    // Binds every socket the plan opens, for the instances it names. On a
    // failure returns "[NAME] reason" and nothing has changed.
    std::optional<std::string> bind(const ListenerPlan& plan, const InstanceMap& instances,
                                    std::vector<std::unique_ptr<Listener>>& opened);
    // Applies a plan whose sockets bind() opened: keeps, hands over, closes,
    // and starts the new ones (at start-up, every one). Returns the changes
    // for the reload's reply: added, removed, handed over.
    std::vector<std::string> commit(const ListenerPlan& plan, const InstanceMap& instances,
                                    std::vector<std::unique_ptr<Listener>> opened, event_base* base,
                                    bool starting);
    // Stops accepting and closes every socket (shutdown).
    void close_all();
    // Every UDP socket the set holds, whatever its instance (the loop guard).
    const OwnSockets& own_udp() const { return own_udp_; }

  private:
    // The loop guard's set of our own UDP sockets, from listeners_.
    void update_own_sockets();

    ListenerContext& context_;
    std::vector<std::unique_ptr<Listener>> listeners_;
    OwnSockets own_udp_;
};

}  // namespace smalld
