// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// What the daemon and a reload see of every listening socket: its instance
// (which a reload may replace under it), protocol, addresses and origin.
// TcpListener (tcp_listener.h) accepts and admits sessions; UdpEndpoint
// (udp_endpoint.h) answers datagrams in batches.

#include <functional>
#include <memory>
#include <string>

#include "event_handle.h"
#include "instance.h"

namespace smalld {

class IoBuffers;
class SessionTable;

enum class Proto { Tcp, Udp };
const char* to_string(Proto proto);

enum class Origin { Config, Systemd };
const char* to_string(Origin origin);

// What the listeners need from the daemon.
struct ListenerContext {
    SessionTable* sessions = nullptr;
    IoBuffers* buffers = nullptr;   // the loop's scratch memory (the UDP batch)
    unsigned max_connections = 0;   // daemon-wide, already bounded by RLIMIT_NOFILE
    OwnSockets* own_udp = nullptr;  // every UDP socket of the daemon (ListenerSet keeps it)
    std::function<void(const Instance&, Proto, const SockAddr&, const char* reason)> on_reject;
};

// Opens, binds and (for TCP) listens; on failure returns an invalid Fd and a
// message naming the address and the reason.
Fd bind_socket(Proto proto, const SockAddr& addr, int backlog, std::string* error);

class Listener {
  public:
    // A TcpListener or a UdpEndpoint, as `proto` says.
    static std::unique_ptr<Listener> create(ListenerContext& context,
                                            std::shared_ptr<Instance> instance, Proto proto,
                                            const SockAddr& configured, Fd fd, Origin origin);
    virtual ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    virtual void start(event_base* base) = 0;
    // Stop serving; the socket stays open until destruction.
    virtual void stop();
    virtual void set_instance(std::shared_ptr<Instance> instance);

    const Instance& instance() const { return *instance_; }
    Proto proto() const { return proto_; }
    Origin origin() const { return origin_; }
    const SockAddr& configured() const { return configured_; }
    const SockAddr& actual() const { return actual_; }
    int fd() const { return fd_.get(); }

  protected:
    Listener(ListenerContext& context, std::shared_ptr<Instance> instance, Proto proto,
             const SockAddr& configured, Fd fd, Origin origin);
    // Calls `ready` whenever the socket is readable.
    void watch(event_base* base, event_callback_fn ready);
    // Logs and reports a refused connection or dropped datagram.
    void report(const SockAddr& peer, const char* reason);

    ListenerContext& context_;
    std::shared_ptr<Instance> instance_;
    Proto proto_;
    SockAddr configured_;
    SockAddr actual_;
    Fd fd_;
    Origin origin_;
    EventHandle ready_;
};

}  // namespace smalld
