// SPDX-License-Identifier: BSD-2-Clause
// A UDP socket asks the kernel only for the per-datagram metadata its
// instance's type reads: STAMP the receive time, TTL and TOS; every other
// type none of them (each costs every datagram a control message, and
// SO_TIMESTAMPNS turns receive timestamping on machine-wide). Asking again
// with less (a reload that changes the type) switches the rest off. The
// packet info (each datagram's destination) only where the bound address
// does not already say it: a wildcard, multicast or broadcast address.
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "datagram_control.h"
#include "service_registry.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;

namespace {

int option(int fd, int level, int name) {
    int value = -1;
    socklen_t len = sizeof value;
    if (getsockopt(fd, level, name, &value, &len) != 0) return -1;
    return value;
}

void only_stamp_reads_metadata(void**) {
    for (const ServiceEntry& e : service_catalogue()) {
        unsigned wanted = e.spec.datagram_metadata;
        if (e.type == ServiceType::Stamp)
            assert_int_equal(wanted, kMetadataReceiveTime | kMetadataTtl | kMetadataTos);
        else if (wanted != 0)
            fail_msg("%s asks for datagram metadata %u it does not read", e.name, wanted);
    }
}

void options_follow_what_is_wanted(void**) {
    for (int family : {AF_INET, AF_INET6}) {
        int fd = socket(family, SOCK_DGRAM, 0);
        if (fd < 0 && family == AF_INET6) continue;  // no IPv6 here
        assert_true(fd >= 0);
        int ttl_level = family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
        int ttl = family == AF_INET ? IP_RECVTTL : IPV6_RECVHOPLIMIT;
        int tos = family == AF_INET ? IP_RECVTOS : IPV6_RECVTCLASS;
        enable_datagram_metadata(fd, family, kMetadataReceiveTime | kMetadataTtl | kMetadataTos);
        assert_int_equal(option(fd, SOL_SOCKET, SO_TIMESTAMPNS), 1);
        assert_int_equal(option(fd, ttl_level, ttl), 1);
        assert_int_equal(option(fd, ttl_level, tos), 1);
        enable_datagram_metadata(fd, family, 0);
        assert_int_equal(option(fd, SOL_SOCKET, SO_TIMESTAMPNS), 0);
        assert_int_equal(option(fd, ttl_level, ttl), 0);
        assert_int_equal(option(fd, ttl_level, tos), 0);
        close(fd);
    }
}

bool needs(const char* endpoint) {
    std::string error;
    auto address = parse_endpoint(endpoint, &error);
    if (!address) fail_msg("%s: %s", endpoint, error.c_str());
    return needs_packet_info(*address);
}

void packet_info_only_where_the_address_does_not_say(void**) {
    for (const char* e : {"0.0.0.0:7", "[::]:7", "224.0.0.1:7", "255.255.255.255:7",
                          "127.255.255.255:7", "[ff02::1]:7", "192.0.2.77:7"})
        if (!needs(e)) fail_msg("%s: a socket bound there gets datagrams sent elsewhere", e);
    assert_false(needs("[::1]:7"));
    // Every interface's own address is unicast, its broadcast address is not.
    ifaddrs* list = nullptr;
    assert_int_equal(getifaddrs(&list), 0);
    for (const ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
        SockAddr own = SockAddr::from(i->ifa_addr, sizeof(sockaddr_in));
        assert_false(needs_packet_info(own));
        if ((i->ifa_flags & IFF_BROADCAST) && i->ifa_broadaddr)
            assert_true(needs_packet_info(SockAddr::from(i->ifa_broadaddr, sizeof(sockaddr_in))));
    }
    freeifaddrs(list);
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(only_stamp_reads_metadata),
                           cmocka_unit_test(options_follow_what_is_wanted),
                           cmocka_unit_test(packet_info_only_where_the_address_does_not_say)});
}
