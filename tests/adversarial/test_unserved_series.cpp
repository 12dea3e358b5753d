// SPDX-License-Identifier: BSD-2-Clause
// No series for protocols an instance does not serve: a UDP-only stamp
// instance has no proto="tcp" series (there were 24, always zero), an echo
// instance with only tcp= has no udp ones, in `stats`, `metrics` (the
// /metrics text) and `top` alike. A reload that adds a protocol starts its
// series; one that takes it away leaves them, so series do not flap.
#include <string>

#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using Ctl = harness::ControlClient;
using json = nlohmann::json;
using harness::TestDaemon;

namespace {

const std::string kHead = harness::control_head("0600") + R"(
[stamp]
udp = 127.0.0.1:0
rate = 0/s
[tcponly]
type = echo
tcp = 127.0.0.1:0
[udponly]
type = echo
udp = 127.0.0.1:0
)";

json stats(TestDaemon& d) {
    Ctl ctl(d.control_socket());
    json reply = ctl.request("stats");
    assert_true(reply["ok"] == true);
    return reply["data"]["instances"];
}

std::string metrics(TestDaemon& d) {
    Ctl ctl(d.control_socket());
    json reply = ctl.request("metrics");
    assert_true(reply["ok"] == true);
    return reply["data"].get<std::string>();
}

std::string labels(const char* service, const char* type, const char* proto) {
    return std::string("service=\"") + service + "\",type=\"" + type + "\",proto=\"" + proto + "\"";
}

void expect_protocols(TestDaemon& d, const char* instance, const char* type, bool tcp, bool udp) {
    json s = stats(d);
    std::string text = metrics(d);
    for (auto [proto, wanted] : {std::pair{"tcp", tcp}, std::pair{"udp", udp}}) {
        bool in_json = s[instance].contains(proto);
        bool in_text = text.find(labels(instance, type, proto)) != std::string::npos;
        if (in_json != wanted || in_text != wanted)
            fail_msg("%s, proto %s: series in stats %s, in metrics %s; expected %s", instance,
                     proto, in_json ? "yes" : "no", in_text ? "yes" : "no", wanted ? "yes" : "no");
    }
}

void only_the_protocols_served(void**) {
    TestDaemon d(kHead);
    assert_true(d.started());
    expect_protocols(d, "stamp", "stamp", false, true);
    expect_protocols(d, "tcponly", "echo", true, false);
    expect_protocols(d, "udponly", "echo", false, true);
}

// smallctl top: rows by instance and protocol, from the same stats.
void top_has_no_row_for_an_unserved_protocol(void**) {
    TestDaemon d(kHead);
    assert_true(d.started());
    int rc = -1;
    std::string out = harness::smallctl(d, "top 1", &rc);
    assert_int_equal(rc, 0);
    // Rows are INSTANCE TYPE PROTO ...
    for (const char* row : {"stamp stamp tcp", "tcponly echo udp", "udponly echo tcp"}) {
        // Columns are padded: compare with the spaces squeezed.
        std::string squeezed;
        for (char c : out)
            if (c != ' ' || (squeezed.size() && squeezed.back() != ' ')) squeezed += c;
        if (squeezed.find(std::string("\n") + row + " ") != std::string::npos)
            fail_msg("smallctl top has a row \"%s\":\n%s", row, out.c_str());
    }
    assert_true(out.find("stamp") != std::string::npos);  // a table, not an error
}

// A reload adds tcp= to udponly: its tcp series appear. Another takes it
// away again: they stay (no longer growing) until the instance goes.
void reload_adds_then_removes_a_protocol(void**) {
    TestDaemon d(kHead);
    assert_true(d.started());
    Ctl admin(d.control_socket());
    expect_protocols(d, "udponly", "echo", false, true);
    d.write_config(kHead + "tcp = 127.0.0.1:0\n");  // in the last section, udponly
    assert_true(admin.request("reload")["ok"] == true);
    expect_protocols(d, "udponly", "echo", true, true);
    d.write_config(kHead);
    assert_true(admin.request("reload")["ok"] == true);
    expect_protocols(d, "udponly", "echo", true, true);
    expect_protocols(d, "stamp", "stamp", false, true);
}

}  // namespace

int main() {
    if (!protect::enter_private_network()) return 77;
    return run_test_group({cmocka_unit_test(only_the_protocols_served),
                           cmocka_unit_test(top_has_no_row_for_an_unserved_protocol),
                           cmocka_unit_test(reload_adds_then_removes_a_protocol)});
}
