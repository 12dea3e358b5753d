// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Socket plumbing shared by the modes: resolving the target, non-blocking
// sockets, and turning errno into words a user can act on.

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>

#include "parse.h"

namespace smallprobe {

struct Endpoint {
    sockaddr_storage storage{};
    socklen_t len = 0;
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
    int family() const { return storage.ss_family; }
};

// Resolves host and port (numeric or by name) for TCP or UDP.
std::optional<Endpoint> resolve(const HostPort& hp, bool udp, std::string* error);

// A non-blocking, close-on-exec socket, or -1 with errno set.
int open_socket(int family, int type);

// 127.0.0.0/8 or ::1: the peer reads the same clock as we do.
bool is_loopback(const sockaddr_storage& a);

// Starts a non-blocking connect. Returns 0 when connected or in progress,
// else the errno.
int start_connect(int fd, const Endpoint& to);

// The pending error of a socket after an asynchronous connect.
int socket_error(int fd);

// The MTU of a connected socket's route (IP_MTU, IPV6_MTU), at most `most`;
// `most` when the kernel does not say.
int route_mtu(int fd, int most);

// Sets TCP_NODELAY: a pipelined probe must not wait for Nagle.
void set_no_delay(int fd);

// A short, actionable explanation of a network errno for this target.
std::string describe_error(int err);

// Raises RLIMIT_NOFILE (soft, and hard when privileged) to at least `wanted`.
// Returns the soft limit in effect afterwards.
uint64_t raise_fd_limit(uint64_t wanted);

}  // namespace smallprobe
