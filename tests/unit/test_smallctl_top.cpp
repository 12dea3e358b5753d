// SPDX-License-Identifier: BSD-2-Clause
// smallctl top: rates from two stats snapshots, over the daemon's clock.
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.h"
#include "top.h"
// cmocka last: its macros clash with the standard headers.
#include "../cmocka.hpp"

using namespace smallctl;
using json = nlohmann::json;

static json snapshot(double uptime, int sessions, int open, int dgrams, int bytes, int refused) {
    return json{{"version", 2},
                {"process", {{"uptime_seconds", uptime}}},
                {"conn", {{"current", open}}},
                {"instances",
                 {{"echo",
                   {{"type", "echo"},
                    {"tcp",
                     {{"sessions_total", sessions},
                      {"sessions_current", open},
                      {"read_bytes_total", bytes},
                      {"written_bytes_total", bytes / 2},
                      {"conn", {{"rejected_total", {{"acl", refused}, {"rate", refused}}}}}}},
                    {"udp",
                     {{"datagrams_in_total", dgrams},
                      {"read_bytes_total", dgrams * 5},
                      {"written_bytes_total", dgrams * 5},
                      {"datagrams_dropped_total", {{"rate", 0}}}}}}}}}};
}

static void rates(void**) {
    // Two seconds of the daemon's clock: 10 sessions, 40 datagrams, 4000 bytes.
    json before = snapshot(100, 5, 1, 10, 1000, 1);
    json after = snapshot(102, 15, 3, 50, 5000, 3);
    std::string screen = render_top(before, after);
    assert_str_eq(
        screen,
        "smalld up 1m 42s, 3 TCP sessions open, rates per second over 2.0 s\n"
        "\n"
        "INSTANCE  TYPE  PROTO  OPEN  SESS/S  DGRAM/S  IN           OUT          "
        "REFUSED/S\n"
        "echo      echo  tcp       3       5        -  16.0 kbit/s  8.00 kbit/s          2\n"
        "echo      echo  udp       -       -       20  800 bit/s    800 bit/s            0\n");
}

// After `stats reset` a counter is lower than before: it counts from zero.
static void counter_reset(void**) {
    std::string screen = render_top(snapshot(10, 500, 0, 0, 0, 0), snapshot(11, 7, 0, 0, 0, 0));
    assert_non_null(strstr(screen.c_str(), "echo      echo  tcp       0       7"));
}

static void resolves(void**) {
    Resolved r = resolve({"top"});
    assert_true(r.command == &top_command());
    r = resolve({"t", "3"});
    assert_true(r.command == &top_command());
    assert_int_equal(r.args.size(), 1);
    r = resolve({"top", "1", "2"});
    assert_null(r.command);
}

int main() {
    return run_test_group(
        {cmocka_unit_test(rates), cmocka_unit_test(counter_reset), cmocka_unit_test(resolves)});
}
