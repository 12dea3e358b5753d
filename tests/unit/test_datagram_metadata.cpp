// SPDX-License-Identifier: BSD-2-Clause
// A UDP socket asks the kernel only for the per-datagram metadata its
// instance's type reads: STAMP the receive time, TTL and TOS; every other
// type none of them (each costs every datagram a control message, and
// SO_TIMESTAMPNS turns receive timestamping on machine-wide). Asking again
// with less (a reload that changes the type) switches the rest off.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(only_stamp_reads_metadata),
        cmocka_unit_test(options_follow_what_is_wanted),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
