// SPDX-License-Identifier: BSD-2-Clause
#include "net.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace smallprobe {

std::optional<Endpoint> resolve(const HostPort& hp, bool udp, std::string* error) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = udp ? SOCK_DGRAM : SOCK_STREAM;
    addrinfo* found = nullptr;
    int rc = getaddrinfo(hp.host.c_str(), hp.port.c_str(), &hints, &found);
    if (rc != 0) {
        *error = "cannot resolve " + hp.host + ": " + gai_strerror(rc);
        return std::nullopt;
    }
    Endpoint e;
    std::memcpy(&e.storage, found->ai_addr, found->ai_addrlen);
    e.len = found->ai_addrlen;
    freeaddrinfo(found);
    return e;
}

int open_socket(int family, int type) {
    return socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

bool is_loopback(const sockaddr_storage& a) {
    if (a.ss_family == AF_INET)
        return (ntohl(reinterpret_cast<const sockaddr_in*>(&a)->sin_addr.s_addr) >> 24) == 127;
    if (a.ss_family == AF_INET6)
        return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(&a)->sin6_addr);
    return false;
}

int route_mtu(int fd, int most) {
    sockaddr_storage self{};
    socklen_t len = sizeof self;
    int mtu = most;
    socklen_t mtu_len = sizeof mtu;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&self), &len) != 0) return most;
    bool v6 = self.ss_family == AF_INET6;
    if (getsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MTU : IP_MTU, &mtu, &mtu_len) != 0)
        return most;
    return std::min(mtu, most);
}

int start_connect(int fd, const Endpoint& to) {
    if (connect(fd, to.get(), to.len) == 0 || errno == EINPROGRESS) return 0;
    return errno;
}

int socket_error(int fd) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
    return err;
}

void set_no_delay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

std::string describe_error(int err) {
    switch (err) {
        case ECONNREFUSED:
            return "connection refused (is the server running on that port?)";
        case ECONNRESET:
            return "connection reset by the server";
        case EPIPE:
            return "connection closed by the server while sending";
        case ETIMEDOUT:
            return "timed out";
        case EMFILE:
        case ENFILE:
            return "out of file descriptors (raise ulimit -n)";
        case EADDRNOTAVAIL:
            return "no local port free for a new connection (ephemeral ports exhausted)";
        case ENETUNREACH:
        case EHOSTUNREACH:
            return "no route to the host";
        default:
            return std::strerror(err);
    }
}

uint64_t raise_fd_limit(uint64_t wanted) {
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur >= wanted) return limit.rlim_cur;
    if (limit.rlim_max < wanted) {
        rlimit bigger{wanted, wanted};
        if (setrlimit(RLIMIT_NOFILE, &bigger) == 0) return wanted;
    }
    limit.rlim_cur = std::min<rlim_t>(wanted, limit.rlim_max);
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur;
}

}  // namespace smallprobe
