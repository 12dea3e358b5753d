// SPDX-License-Identifier: BSD-2-Clause
// ACL: allow and deny over IPv4 and IPv6, deny wins; refused TCP is closed at
// once, refused datagrams get no reply, and both are counted and logged.
#include <unistd.h>

#include "harness.h"

#include "../cmocka.hpp"

using namespace harness;
using namespace protect;

namespace {

const std::string kConfig = config_head() +
                            "[acl]\ntype = echo\n"
                            "tcp = 127.0.0.1:0, [::1]:0\nudp = 127.0.0.1:0, [::1]:0\n"
                            "allow = 127.0.0.0/8, ::1\ndeny = 127.0.0.2\n\n"
                            "[acl6]\ntype = echo\ntcp = [::1]:0\nudp = [::1]:0\n"
                            "allow = ::/0\ndeny = ::1/128\n\n"
                            "[only4]\ntype = echo\ntcp = 127.0.0.1:0, [::1]:0\nudp = [::1]:0\n"
                            "allow = 127.0.0.0/8\n";

// A TCP session and a datagram from `from` to `instance` on `to`: the
// session closed at once, the datagram unanswered, both logged with the
// source written as `shown`, and counted as refused by the ACL.
void expect_refused(const TestDaemon& d, const std::string& instance, const char* from,
                    const char* to, int family, const std::string& shown) {
    assert_true(refused_from(from, to, d.port(instance, "tcp", family)));
    assert_false(
        udp_ask_from(from, 0, to, d.port(instance, "udp", family), "hello", kQuietMs).has_value());
    assert_true(d.wait_for_log(instance + ": refused tcp from " + shown + ":"));
    assert_true(d.wait_for_log(instance + ": refused udp from " + shown + ":"));
    assert_int_equal(refused(d, instance), 2);
    assert_int_equal(rejected(d, instance, "acl"), 1);
    assert_int_equal(dropped(d, instance, "acl"), 1);
}

void allowed_sources_are_served(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    assert_true(served_from("127.0.0.1", "127.0.0.1", d.port("acl", "tcp")));
    assert_true(served_from("::1", "::1", d.port("acl", "tcp", AF_INET6)));
    auto r4 = udp_ask_from("127.0.0.1", 0, "127.0.0.1", d.port("acl", "udp"), "hello");
    assert_true(r4 && *r4 == "hello");
    auto r6 = udp_ask_from("::1", 0, "::1", d.port("acl", "udp", AF_INET6), "hello");
    assert_true(r6 && *r6 == "hello");
    assert_int_equal(refused(d, "acl"), 0);
}

void denied_ipv4_source_is_refused_even_when_allowed(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    // 127.0.0.2 is in allow (127.0.0.0/8) and in deny: deny wins.
    expect_refused(d, "acl", "127.0.0.2", "127.0.0.1", AF_INET, "127.0.0.2");
    // The neighbour is still served.
    auto ok = udp_ask_from("127.0.0.3", 0, "127.0.0.1", d.port("acl", "udp"), "x");
    assert_true(ok && *ok == "x");
}

void denied_ipv6_source_is_refused_even_when_allowed(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    expect_refused(d, "acl6", "::1", "::1", AF_INET6, "[::1]");
}

void source_outside_allow_is_refused(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    // IPv4 loopback is allowed, IPv6 loopback is not in the list.
    assert_true(served_from("127.0.0.1", "127.0.0.1", d.port("only4", "tcp")));
    assert_true(refused_from("::1", "::1", d.port("only4", "tcp", AF_INET6)));
    assert_false(udp_ask_from("::1", 0, "::1", d.port("only4", "udp", AF_INET6), "hello", kQuietMs)
                     .has_value());
    assert_true(d.wait_for_log("only4: refused udp from [::1]:"));
    assert_int_equal(refused(d, "only4"), 2);
    assert_int_equal(rejected(d, "only4", "acl"), 1);
    assert_int_equal(dropped(d, "only4", "acl"), 1);
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(allowed_sources_are_served),
                           cmocka_unit_test(denied_ipv4_source_is_refused_even_when_allowed),
                           cmocka_unit_test(denied_ipv6_source_is_refused_even_when_allowed),
                           cmocka_unit_test(source_outside_allow_is_refused)});
}
