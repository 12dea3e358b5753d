// SPDX-License-Identifier: BSD-2-Clause
#include "own_sockets.h"

#include <arpa/inet.h>
#include <ifaddrs.h>

#include <algorithm>
#include <cstring>

namespace smalld {

namespace {

// How often the host's addresses may be read again: an address added since
// is recognised within this long, and a flood of datagrams from our
// wildcard ports on other hosts costs at most one getifaddrs() a second.
constexpr int64_t kHostAddressesRefreshMs = 1000;

bool is_loopback(const SockAddr& a) {
    if (a.family() == AF_INET)
        return (ntohl(reinterpret_cast<const sockaddr_in*>(&a.storage)->sin_addr.s_addr) >> 24) ==
               127;
    return a.family() == AF_INET6 &&
           IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(&a.storage)->sin6_addr);
}

}  // namespace

OwnSockets::Address OwnSockets::address_of(const SockAddr& addr) {
    Address a{};
    if (addr.family() == AF_INET) {
        a.bytes[10] = a.bytes[11] = 0xff;
        std::memcpy(a.bytes + 12, &reinterpret_cast<const sockaddr_in*>(&addr.storage)->sin_addr,
                    4);
    } else if (addr.family() == AF_INET6) {
        std::memcpy(a.bytes, &reinterpret_cast<const sockaddr_in6*>(&addr.storage)->sin6_addr, 16);
    }
    return a;
}

void OwnSockets::assign(std::span<const SockAddr> sockets) {
    exact_ports_.reset();
    wildcard4_.reset();
    wildcard6_.reset();
    exact_.clear();
    count_ = sockets.size();
    for (const SockAddr& s : sockets) {
        uint16_t port = s.port();
        if (!s.is_wildcard()) {
            exact_ports_.set(port);
            exact_.push_back({address_of(s), port});
        } else if (s.family() == AF_INET) {
            wildcard4_.set(port);
        } else {
            wildcard6_.set(port);
        }
    }
}

void OwnSockets::set_host_addresses(std::vector<SockAddr> addresses) {
    host_.clear();
    for (const auto& a : addresses) host_.push_back(address_of(a));
    host_fixed_ = true;
}

bool OwnSockets::listed(const Address& a) const {
    return std::find(host_.begin(), host_.end(), a) != host_.end();
}

bool OwnSockets::is_host_address(const SockAddr& peer, const SockAddr* to, int64_t now_ms) {
    if (is_loopback(peer)) return true;
    Address a = address_of(peer);
    if (to && address_of(*to) == a) return true;
    if (listed(a)) return true;
    if (host_fixed_ || (host_read_ && now_ms - host_read_ms_ < kHostAddressesRefreshMs))
        return false;
    host_read_ = true;
    host_read_ms_ = now_ms;
    host_.clear();
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return false;
    for (const ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr) continue;
        int family = i->ifa_addr->sa_family;
        if (family != AF_INET && family != AF_INET6) continue;
        socklen_t len = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
        host_.push_back(address_of(SockAddr::from(i->ifa_addr, len)));
    }
    freeifaddrs(list);
    return listed(a);
}

bool OwnSockets::contains(const SockAddr& peer, const SockAddr* to, int64_t now_ms) {
    uint16_t port = peer.port();
    if (exact_ports_.test(port)) {
        Address a = address_of(peer);
        for (const auto& e : exact_)
            if (e.port == port && e.address == a) return true;
    }
    bool wildcard = peer.family() == AF_INET ? wildcard4_.test(port) : wildcard6_.test(port);
    return wildcard && is_host_address(peer, to, now_ms);
}

}  // namespace smalld
