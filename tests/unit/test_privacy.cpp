// SPDX-License-Identifier: BSD-2-Clause
// The privacy rule (privacy.h): a details list in the syntax of allow, yes
// and no; the one decision; and what a client without details is shown of
// a reload and of the events.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "address.h"
#include "endpoint.h"
#include "privacy.h"

#include "../cmocka.hpp"

using namespace smalld;
using json = nlohmann::json;

namespace {

std::vector<Cidr> details(const char* value) {
    std::vector<Cidr> networks;
    std::string error;
    assert_true(parse_details(value, networks, &error));
    return networks;
}

}  // namespace

static void who_sees_details(void**) {
    for (const char* nobody : {"", "no", "  "}) {
        assert_false(may_see_details(details(nobody), at("127.0.0.1:1")));
        assert_false(may_see_details(details(nobody), at("[::1]:1")));
    }
    for (const char* peer : {"127.0.0.1:1", "192.0.2.7:80", "[::1]:1", "[2001:db8::1]:9"})
        assert_true(may_see_details(details("yes"), at(peer)));
    auto trusted = details("127.0.0.0/8, ::1");
    assert_true(may_see_details(trusted, at("127.0.0.9:5")));
    assert_true(may_see_details(trusted, at("[::1]:5")));
    assert_true(may_see_details(trusted, at("[::ffff:127.0.0.1]:5")));  // mapped: as IPv4
    assert_false(may_see_details(trusted, at("10.0.0.1:5")));
    assert_false(may_see_details(trusted, at("[::2]:5")));
    assert_false(may_see_details(trusted, SockAddr{}));  // no address at all

    std::vector<Cidr> networks;
    std::string error;
    assert_false(parse_details("127.0.0.1/33", networks, &error));
    assert_false(parse_details("maybe", networks, &error));
    assert_true(error.find("yes, no or a list") != std::string::npos);
}

static void reload_result_without_details(void**) {
    assert_string_equal(public_reload_result("none", 0).c_str(), "none");
    assert_string_equal(public_reload_result("ok", 0).c_str(), "ok");
    assert_string_equal(
        public_reload_result("failed: /etc/smalld/smalld.ini.d/x.ini:3: rate: got \"pw\"", 2)
            .c_str(),
        "failed: 2 errors; see smallctl status or the log");
    assert_string_equal(public_reload_result("failed: x", 1).c_str(),
                        "failed: 1 error; see smallctl status or the log");
}

static void events_without_details(void**) {
    json open = {{"event", "session_open"}, {"id", 4}, {"instance", "echo"}, {"peer", "1.2.3.4:5"}};
    json shown = public_event(open);
    assert_false(shown.contains("peer"));
    assert_int_equal(shown["id"].get<int>(), 4);

    json failed = {{"event", "reload"},
                   {"ok", false},
                   {"errors", {"/etc/x.ini:2: a: got \"secret\"", "/etc/x.ini:3: b"}}};
    assert_string_equal(public_event(failed).dump().c_str(),
                        R"({"errors":["2 errors; see smallctl status or the log"],)"
                        R"("event":"reload","ok":false})");
    json done = {{"event", "reload"},
                 {"ok", true},
                 {"changes", {"[stamp] key_file: /etc/smalld/k changed"}}};
    assert_string_equal(public_event(done).dump().c_str(),
                        R"({"changes":["1 change; see the log"],"event":"reload","ok":true})");
    json none = {{"event", "reload"}, {"ok", true}, {"changes", json::array()}};
    assert_string_equal(public_event(none).dump().c_str(), none.dump().c_str());

    json session = {{"id", 1}, {"peer", "1.2.3.4:5"}, {"local", "127.0.0.1:7"}};
    hide_peer(session);
    assert_string_equal(session.dump().c_str(), R"({"id":1,"local":"127.0.0.1:7"})");
}

int main() {
    return run_test_group({cmocka_unit_test(who_sees_details),
                           cmocka_unit_test(reload_result_without_details),
                           cmocka_unit_test(events_without_details)});
}
