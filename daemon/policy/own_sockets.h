// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The loop guard's first layer: smalld's own UDP sockets, every instance's.
// A datagram that comes from one of them is a reply of ours coming back (a
// forged source sent it to us, or to a second reflector that answered it
// there): answering would start a loop between two of our sockets, or
// between a socket and itself. The listener set rebuilds the set at start-up
// and after every reload; the lookup is a bit test for almost every datagram.
//
// A socket bound to an address is matched by address and port. A wildcard
// socket (0.0.0.0 or ::) sends from any address of this host, so it is
// matched by its port and a source address of this host: a loopback address,
// the address the datagram was sent to, or one getifaddrs(3) lists (read
// again at most once a second, and only for a datagram whose source port is
// a wildcard socket's). The same port from another host is someone else's
// socket: a STAMP sender on port 862 elsewhere is served.

#include <bitset>
#include <cstdint>
#include <span>
#include <vector>

#include "address.h"

namespace smalld {

class OwnSockets {
  public:
    // Replaces the set with the sockets bound to these addresses
    // (getsockname(): the actual ports). IPv6 sockets are IPv6-only: smalld
    // binds them so and refuses a dual-stack datagram socket from systemd.
    void assign(std::span<const SockAddr> sockets);
    // For tests: the host's addresses are these, never read from the system.
    void set_host_addresses(std::vector<SockAddr> addresses);

    // True when `peer` is one of the sockets; `to` is the address the
    // datagram was sent to (nullptr when unknown); `now_ms` a monotonic clock.
    bool contains(const SockAddr& peer, const SockAddr* to, int64_t now_ms);

    size_t size() const { return count_; }

  private:
    struct Address {
        uint8_t bytes[16];  // IPv4 as ::ffff:a.b.c.d
        bool operator==(const Address&) const = default;
    };
    struct Exact {
        Address address;
        uint16_t port;
    };
    static Address address_of(const SockAddr& addr);
    bool is_host_address(const SockAddr& peer, const SockAddr* to, int64_t now_ms);
    bool listed(const Address& a) const;

    std::bitset<65536> exact_ports_;  // ports of sockets bound to an address
    std::bitset<65536> wildcard4_;    // ports of 0.0.0.0 sockets
    std::bitset<65536> wildcard6_;    // ports of :: sockets
    std::vector<Exact> exact_;
    size_t count_ = 0;

    std::vector<Address> host_;
    int64_t host_read_ms_ = 0;
    bool host_read_ = false;
    bool host_fixed_ = false;
};

}  // namespace smalld
