// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// What the kernel tells about each received datagram, in the message's
// control data: the destination address, the receive timestamp, the TTL or
// hop limit and the TOS or traffic class. The destination on every UDP
// socket; the rest where the instance's type reads it (a reload that
// changes the type sets the socket's options again).

#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include "service.h"

namespace smalld {

// Room for every control message enable_datagram_metadata() asks for (and
// IP_PKTINFO/IPV6_PKTINFO, which the listener asks for).
inline constexpr size_t kDatagramControlSize =
    CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(in_pktinfo)) +
    CMSG_SPACE(sizeof(timespec)) + 4 * CMSG_SPACE(sizeof(int)) +
    CMSG_SPACE(3 * sizeof(timespec)) +  // SCM_TIMESTAMPING, when transmit timestamps are on
    CMSG_SPACE(sizeof(uint32_t));       // SO_RXQ_OVFL, where asked (the stamp-sender)

// Asks the kernel for `wanted` (SO_TIMESTAMPNS, IP_RECVTTL, IP_RECVTOS or
// IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS) and tells it to stop the rest: each
// costs every datagram a control message, and SO_TIMESTAMPNS switches on
// receive timestamping machine-wide. Failures leave the datagram without
// that field.
void enable_datagram_metadata(int fd, int family, unsigned wanted);

// Whether a UDP socket bound to `bound` needs IP_PKTINFO / IPV6_RECVPKTINFO
// to know where each datagram was sent: to answer from that address and to
// drop datagrams sent to a broadcast or multicast address. A socket bound to
// one of this host's unicast addresses gets only datagrams sent to that
// address, and its replies leave from it, so the kernel need not build a
// control message per datagram and per reply. True for a wildcard, a
// multicast or broadcast address, and an address no interface lists (a
// non-local bind); IPv4 addresses are checked against getifaddrs(3).
bool needs_packet_info(const SockAddr& bound);

// Fills d.received/kernel_timestamp, d.ttl, d.tos, d.socket_drops and, from
// the packet info, `local` (port 0) with d.local pointing at it.
void read_datagram_metadata(const msghdr& received, Datagram& d, SockAddr& local);

}  // namespace smalld
