// SPDX-License-Identifier: BSD-2-Clause
#include "datagram_control.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>

#include <array>
#include <cstring>

namespace smalld {

void enable_datagram_metadata(int fd, int family, unsigned wanted) {
    auto set = [fd](int level, int option, bool on) {
        int value = on;
        setsockopt(fd, level, option, &value, sizeof value);
    };
    set(SOL_SOCKET, SO_TIMESTAMPNS, wanted & kMetadataReceiveTime);
    if (family == AF_INET) {
        set(IPPROTO_IP, IP_RECVTTL, wanted & kMetadataTtl);
        set(IPPROTO_IP, IP_RECVTOS, wanted & kMetadataTos);
    } else {
        set(IPPROTO_IPV6, IPV6_RECVHOPLIMIT, wanted & kMetadataTtl);
        set(IPPROTO_IPV6, IPV6_RECVTCLASS, wanted & kMetadataTos);
    }
}

bool needs_packet_info(const SockAddr& bound) {
    if (bound.is_wildcard()) return true;
    if (bound.family() == AF_INET6)
        return IN6_IS_ADDR_MULTICAST(
            &reinterpret_cast<const sockaddr_in6*>(&bound.storage)->sin6_addr);
    if (bound.family() != AF_INET) return true;
    in_addr_t address = reinterpret_cast<const sockaddr_in*>(&bound.storage)->sin_addr.s_addr;
    if ((ntohl(address) >> 28) >= 0xE) return true;  // multicast, 255.255.255.255
    // Unicast when an interface has it as its address and none as its
    // broadcast address (127.255.255.255 is lo's broadcast, listed by neither).
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) return true;
    bool listed = false, broadcast = false;
    auto same = [address](const sockaddr* a) {
        return a && a->sa_family == AF_INET &&
               reinterpret_cast<const sockaddr_in*>(a)->sin_addr.s_addr == address;
    };
    for (const ifaddrs* i = list; i; i = i->ifa_next) {
        listed = listed || same(i->ifa_addr);
        broadcast = broadcast || ((i->ifa_flags & IFF_BROADCAST) && same(i->ifa_broadaddr));
    }
    freeifaddrs(list);
    return !listed || broadcast;
}

namespace {

// The message's data as a T; holds() said it is there.
template <typename T>
T read_as(const cmsghdr* c) {
    T value;
    std::memcpy(&value, CMSG_DATA(c), sizeof value);
    return value;
}

bool holds(const cmsghdr* c, size_t size) {
    return c->cmsg_len >= CMSG_LEN(size);
}

// The address a datagram was sent to, from IP_PKTINFO or IPV6_PKTINFO.
SockAddr destination(const in_pktinfo& info) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr = info.ipi_addr;
    return SockAddr::from(reinterpret_cast<sockaddr*>(&sin), sizeof sin);
}

SockAddr destination(const in6_pktinfo& info) {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_addr = info.ipi6_addr;
    sin6.sin6_scope_id = info.ipi6_ifindex;
    return SockAddr::from(reinterpret_cast<sockaddr*>(&sin6), sizeof sin6);
}

}  // namespace

void read_datagram_metadata(const msghdr& received, Datagram& d, SockAddr& local) {
    auto& msg = const_cast<msghdr&>(received);
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
            holds(c, sizeof(timespec))) {
            auto ts = read_as<timespec>(c);
            if (!d.hardware_timestamp) d.received = {ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec)};
            d.kernel_timestamp = true;
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING &&
                   holds(c, 3 * sizeof(timespec))) {
            // Transmit timestamps on (tx_timestamps.h): the NIC's receive
            // time, when it gave one.
            auto ts = read_as<std::array<timespec, 3>>(c);
            if (ts[2].tv_sec || ts[2].tv_nsec) {
                d.received = {ts[2].tv_sec, static_cast<uint32_t>(ts[2].tv_nsec)};
                d.kernel_timestamp = d.hardware_timestamp = true;
            }
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL &&
                   holds(c, sizeof(uint32_t))) {
            d.socket_drops = read_as<uint32_t>(c);
        } else if (c->cmsg_level == IPPROTO_IP) {
            if (c->cmsg_type == IP_TTL && holds(c, sizeof(int)))
                d.ttl = read_as<int>(c);
            else if (c->cmsg_type == IP_TOS && holds(c, 1))
                d.tos = *CMSG_DATA(c);
            else if (c->cmsg_type == IP_PKTINFO && holds(c, sizeof(in_pktinfo))) {
                local = destination(read_as<in_pktinfo>(c));
                d.local = &local;
            }
        } else if (c->cmsg_level == IPPROTO_IPV6) {
            if (c->cmsg_type == IPV6_HOPLIMIT && holds(c, sizeof(int)))
                d.ttl = read_as<int>(c);
            else if (c->cmsg_type == IPV6_TCLASS && holds(c, sizeof(int)))
                d.tos = read_as<int>(c);
            else if (c->cmsg_type == IPV6_PKTINFO && holds(c, sizeof(in6_pktinfo))) {
                local = destination(read_as<in6_pktinfo>(c));
                d.local = &local;
            }
        }
    }
}

}  // namespace smalld
