#pragma once
// Listening sockets: a TCP listener accepts and admits sessions; a UDP
// endpoint answers datagrams in batches (recvmmsg/sendmmsg). Both point at
// their Instance, which a reload may replace under them.

#include <memory>
#include <string>

#include "event_handle.h"
#include "instance.h"

namespace smalld {

class SessionTable;

enum class Proto { Tcp, Udp };
const char* to_string(Proto proto);

enum class Origin { Config, Systemd };
const char* to_string(Origin origin);

// What the listeners need from the daemon.
struct ListenerContext {
    SessionTable* sessions = nullptr;
    unsigned max_connections = 0;  // daemon-wide, already bounded by RLIMIT_NOFILE
    std::function<void(const Instance&, Proto, const SockAddr&, const char* reason)> on_reject;
};

// Opens, binds and (for TCP) listens; on failure returns an invalid Fd and a
// message naming the address and the reason.
Fd bind_socket(Proto proto, const SockAddr& addr, int backlog, std::string* error);

class Listener {
  public:
    Listener(ListenerContext& context, std::shared_ptr<Instance> instance, Proto proto,
             const SockAddr& configured, Fd fd, Origin origin);
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    void start(event_base* base);
    void stop();  // stop accepting; the socket stays open until destruction
    void set_instance(std::shared_ptr<Instance> instance);

    const Instance& instance() const { return *instance_; }
    Proto proto() const { return proto_; }
    Origin origin() const { return origin_; }
    const SockAddr& configured() const { return configured_; }
    const SockAddr& actual() const { return actual_; }
    int fd() const { return fd_.get(); }

  private:
    static void on_ready_cb(evutil_socket_t, short, void* self);
    static void on_resume_cb(evutil_socket_t, short, void* self);
    void accept_ready();
    void admit(int fd, const SockAddr& peer);
    void datagrams_ready();
    void reject(const SockAddr& peer, RejectReason reason);
    void drop(const SockAddr& peer, DropReason reason);

    ListenerContext& context_;
    std::shared_ptr<Instance> instance_;
    Proto proto_;
    SockAddr configured_;
    SockAddr actual_;
    Fd fd_;
    Origin origin_;
    EventHandle ready_;
    EventHandle resume_;  // accept paused on EMFILE/ENFILE
};

}  // namespace smalld
