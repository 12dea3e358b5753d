// SPDX-License-Identifier: BSD-2-Clause
// Value parsers: durations, rates, addresses, prefixes.
#include <cstring>
#include <string>

#include "address.h"
#include "parse.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;

static void durations(void**) {
    std::string e;
    assert_int_equal(parse_duration("500ms", &e)->count(), 500);
    assert_int_equal(parse_duration("60s", &e)->count(), 60'000);
    assert_int_equal(parse_duration("5m", &e)->count(), 300'000);
    assert_int_equal(parse_duration("1h", &e)->count(), 3'600'000);
    assert_int_equal(parse_duration("0", &e)->count(), 0);
    for (const char* bad : {"", "60", "s", "5x", "-1s", "1.5s", "200h", "99999999999999999999s",
                            "18446744073709552s", "307445734561826m"}) {
        assert_false(parse_duration(bad, &e).has_value());
        assert_non_null(strstr(e.c_str(), "expected a duration"));
    }
}

static void rates(void**) {
    std::string e;
    auto r = parse_rate("50/s", &e);
    assert_true(r.has_value());
    assert_true(r->per_second == 50 && r->burst == 50);
    assert_true(parse_rate("0/s", &e)->per_second == 0);
    for (const char* bad : {"fast", "50", "50/m", "/s", "-1/s", "50/s/s"}) {
        assert_false(parse_rate(bad, &e).has_value());
        assert_str_eq(
            e, std::string("expected a rate such as 50/s (0/s: unlimited), got \"") + bad + "\"");
    }
}

static void numbers_and_bools(void**) {
    std::string e;
    assert_int_equal(*parse_uint("511", 1, 65535, &e), 511);
    assert_false(parse_uint("0", 1, 65535, &e).has_value());
    assert_str_eq(e, "expected a whole number from 1 to 65535, got \"0\"");
    assert_false(parse_uint("12a", 0, 100, &e).has_value());
    assert_int_equal(*parse_int("-5", -10, 10, &e), -5);
    assert_true(*parse_double("1.5", 0, 10, &e) == 1.5);
    assert_false(parse_double("nan", 0, 10, &e).has_value());
    assert_false(parse_double("11", 0, 10, &e).has_value());
    assert_true(*parse_bool("yes", &e));
    assert_false(*parse_bool("off", &e));
    assert_false(parse_bool("maybe", &e).has_value());
    assert_int_equal(*parse_mode("0660", &e), 0660);
    assert_false(parse_mode("0999", &e).has_value());
    auto items = split_list(" a , b,c ");
    assert_int_equal(items.size(), 3);
    assert_true(items[0] == "a" && items[1] == "b" && items[2] == "c");
    assert_int_equal(split_list("  ").size(), 0);
}

// One of a few words: its value, or a message naming them all in order.
static void keywords(void**) {
    std::string e;
    assert_int_equal(*parse_keyword<int>("b", {{"a", 1}, {"b", 2}, {"c", 3}}, &e), 2);
    assert_false(parse_keyword<int>("B", {{"a", 1}, {"b", 2}, {"c", 3}}, &e).has_value());
    assert_str_eq(e, "expected a, b or c, got \"B\"");
    assert_false(parse_keyword<int>("", {{"utc", 0}, {"local", 1}}, &e).has_value());
    assert_str_eq(e, "expected utc or local, got \"\"");
}

static void endpoints(void**) {
    std::string e;
    auto a = parse_endpoint("127.0.0.1:7", &e);
    assert_true(a.has_value());
    assert_int_equal(a->family(), AF_INET);
    assert_int_equal(a->port(), 7);
    assert_str_eq(a->to_string(), "127.0.0.1:7");
    auto b = parse_endpoint("[::1]:0", &e);
    assert_true(b.has_value());
    assert_int_equal(b->family(), AF_INET6);
    assert_str_eq(b->to_string(), "[::1]:0");
    assert_false(parse_endpoint("::1:7", &e).has_value());
    assert_false(parse_endpoint("127.0.0.1", &e).has_value());
    assert_false(parse_endpoint("127.0.0.1:65536", &e).has_value());
    assert_str_eq(e, "port must be 0-65535, got \"65536\"");
    assert_false(parse_endpoint("localhost:7", &e).has_value());
    assert_str_eq(e, "not an IP address: \"localhost\"");
    assert_false(parse_endpoint("[::1:7", &e).has_value());
}

static void cidrs(void**) {
    std::string e;
    auto net = parse_cidr("10.0.0.0/8", &e);
    auto v6 = parse_cidr("fc00::/7", &e);
    auto host = parse_cidr("::1", &e);
    assert_true(net && v6 && host);
    assert_true(net->contains(*parse_endpoint("10.200.1.1:5", &e)));
    assert_false(net->contains(*parse_endpoint("11.0.0.1:5", &e)));
    assert_true(v6->contains(*parse_endpoint("[fd12::1]:5", &e)));
    assert_false(v6->contains(*parse_endpoint("[fe80::1]:5", &e)));
    assert_true(host->contains(*parse_endpoint("[::1]:9", &e)));
    // An IPv4-mapped peer is matched as IPv4.
    assert_true(net->contains(*parse_endpoint("[::ffff:10.1.2.3]:5", &e)));
    assert_str_eq(parse_cidr("192.168.1.77/16", &e)->to_string(), "192.168.0.0/16");
    assert_false(parse_cidr("10.0.0.0/33", &e).has_value());
    assert_false(parse_cidr("nonsense", &e).has_value());
}

static void source_keys(void**) {
    std::string e;
    // IPv6 sources are grouped by /64; IPv4 by address.
    assert_true(source_key(*parse_endpoint("[2001:db8:1:2::1]:1", &e)) ==
                source_key(*parse_endpoint("[2001:db8:1:2:ffff::9]:2", &e)));
    assert_false(source_key(*parse_endpoint("[2001:db8:1:2::1]:1", &e)) ==
                 source_key(*parse_endpoint("[2001:db8:1:3::1]:1", &e)));
    assert_false(source_key(*parse_endpoint("10.0.0.1:1", &e)) ==
                 source_key(*parse_endpoint("10.0.0.2:1", &e)));
    assert_true(source_key(*parse_endpoint("10.0.0.1:1", &e)) ==
                source_key(*parse_endpoint("[::ffff:10.0.0.1]:9", &e)));
}

int main() {
    return run_test_group({cmocka_unit_test(durations), cmocka_unit_test(rates),
                           cmocka_unit_test(numbers_and_bools), cmocka_unit_test(keywords),
                           cmocka_unit_test(endpoints), cmocka_unit_test(cidrs),
                           cmocka_unit_test(source_keys)});
}
