// SPDX-License-Identifier: BSD-2-Clause
#include "socket_activation.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "notify.h"

namespace smalld {

namespace {

// Why a socket systemd passed cannot serve, or empty when it can. A stream
// socket must already listen: accept4() on one that does not fails with
// EINVAL at every loop turn. A dual-stack datagram socket would see IPv4
// peers as IPv4-mapped addresses, which the UDP loop guard drops.
std::string passed_socket_problem(int fd, int type, const SockAddr& addr) {
    int value = 0;
    socklen_t len = sizeof value;
    if (type == SOCK_STREAM) {
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &len) != 0 || !value)
            return "it is a stream socket that is not listening (use ListenStream=, not a "
                   "connected or merely bound socket)";
        return {};
    }
    if (addr.family() != AF_INET6) return {};
    const auto* a6 = reinterpret_cast<const sockaddr_in6*>(addr.get());
    if (!IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr) && !IN6_IS_ADDR_V4MAPPED(&a6->sin6_addr))
        return {};  // a specific IPv6 address never receives IPv4
    if (getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &value, &len) != 0 || !value)
        return "it is a dual-stack IPv6 datagram socket, on which every IPv4 peer looks "
               "IPv4-mapped and the UDP loop guard drops it; set BindIPv6Only=ipv6-only";
    return {};
}

}  // namespace

std::optional<std::string> take_activated_sockets(const Config& config,
                                                  std::vector<ActivatedSocket>& out) {
    for (const auto& socket : notify::passed_sockets()) {
        Fd fd(socket.fd);
        std::string which = "systemd passed fd " + std::to_string(socket.fd);
        const InstanceConfig* instance = config.find(socket.name);
        if (!instance)
            return which + " named \"" + socket.name + "\", but no instance [" + socket.name +
                   "] is configured (set FileDescriptorName= to an instance name)";
        int type = 0;
        socklen_t len = sizeof type;
        SockAddr addr;
        addr.len = sizeof addr.storage;
        if (getsockopt(fd.get(), SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
            (type != SOCK_STREAM && type != SOCK_DGRAM) ||
            getsockname(fd.get(), addr.get(), &addr.len) != 0 ||
            (addr.family() != AF_INET && addr.family() != AF_INET6))
            return which + " for [" + socket.name +
                   "], but it is not an IPv4/IPv6 stream or datagram socket";
        if (std::string problem = passed_socket_problem(fd.get(), type, addr); !problem.empty())
            return which + " for [" + socket.name + "], but " + problem;
        int flags = fcntl(fd.get(), F_GETFL);
        fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK);
        out.push_back(
            {instance, type == SOCK_STREAM ? Proto::Tcp : Proto::Udp, addr, std::move(fd)});
    }
    return std::nullopt;
}

}  // namespace smalld
