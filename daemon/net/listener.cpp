// SPDX-License-Identifier: BSD-2-Clause
#include "listener.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "tcp_listener.h"
#include "udp_endpoint.h"

namespace smalld {

const char* to_string(Proto proto) {
    return proto == Proto::Tcp ? "tcp" : "udp";
}
const char* to_string(Origin origin) {
    return origin == Origin::Config ? "config" : "systemd";
}

Fd bind_socket(Proto proto, const SockAddr& addr, int backlog, std::string* error) {
    int type = (proto == Proto::Tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
    Fd fd(socket(addr.family(), type, 0));
    auto fail = [&](const char* step) {
        int err = errno;
        *error = std::string("cannot ") + step + " " + to_string(proto) + " " + addr.to_string() +
                 ": " + strerror(err);
        if (err == EACCES && addr.port() < 1024)
            *error += " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
        if (err == EADDRINUSE) *error += " (another program, or another smalld, has it)";
        if (err == EADDRNOTAVAIL) *error += " (no interface has this address)";
        return Fd();
    };
    if (!fd) return fail("create socket for");
    int one = 1;
    if (proto == Proto::Tcp) setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (addr.family() == AF_INET6)
        setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd.get(), addr.get(), addr.len) != 0) return fail("bind");
    if (proto == Proto::Tcp && listen(fd.get(), backlog) != 0) return fail("listen on");
    return fd;
}

std::unique_ptr<Listener> Listener::create(ListenerContext& context,
                                           std::shared_ptr<Instance> instance, Proto proto,
                                           const SockAddr& configured, Fd fd, Origin origin) {
    if (proto == Proto::Tcp)
        return std::make_unique<TcpListener>(context, std::move(instance), configured,
                                             std::move(fd), origin);
    return std::make_unique<UdpEndpoint>(context, std::move(instance), configured, std::move(fd),
                                         origin);
}

Listener::Listener(ListenerContext& context, std::shared_ptr<Instance> instance, Proto proto,
                   const SockAddr& configured, Fd fd, Origin origin)
    : context_(context),
      instance_(std::move(instance)),
      proto_(proto),
      configured_(configured),
      fd_(std::move(fd)),
      origin_(origin) {
    actual_.len = sizeof actual_.storage;
    if (getsockname(fd_.get(), actual_.get(), &actual_.len) != 0) actual_ = configured_;
}

Listener::~Listener() = default;

void Listener::watch(event_base* base, event_callback_fn ready) {
    ready_.reset(event_new(base, fd_.get(), EV_READ | EV_PERSIST, ready, this));
    event_add(ready_.get(), nullptr);
}

void Listener::stop() {
    ready_.reset();
}

void Listener::set_instance(std::shared_ptr<Instance> instance) {
    instance_ = std::move(instance);
}

void Listener::report(const SockAddr& peer, const char* reason) {
    if (context_.on_reject) context_.on_reject(*instance_, proto_, peer, reason);
}

}  // namespace smalld
