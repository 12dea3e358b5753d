// SPDX-License-Identifier: BSD-2-Clause
// Monitors as an attack: a read-only user who opens monitor after monitor
// must not lock out other read-only users or the admin; monitors that do not
// read lose events (counted); and a rate-limited UDP flood costs the monitors
// one summary event per source and reason a second, not one per datagram.
#include <grp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "control_server.h"
#include "harness.h"

#include "../cmocka.hpp"

using namespace harness;
using Clock = std::chrono::steady_clock;
using Ctl = harness::ControlClient;
using json = nlohmann::json;
using smalld::ControlServer;

namespace {

const std::string kConfig = harness::control_head() + R"(
[echo]
tcp = 127.0.0.1:0
rate = 0/s
per_source = 0
[flood]
type = echo
udp = 127.0.0.1:0
rate = 2/s
)";

uint64_t counter(Ctl& ctl, const char* key) {
    json s = ctl.request("stats");
    std::string path = std::string("/data/") + key;  // dotted: nested objects
    std::replace(path.begin(), path.end(), '.', '/');
    json::json_pointer at(path);
    return s.contains(at) ? s[at].get<uint64_t>() : 0;
}

void monitor_flood_locks_nobody_out(void**) {
    need_root("to act as other users");
    TestDaemon d(kConfig);
    assert_true(d.started());
    // As nobody: as many monitors as the daemon lets in, never read.
    harness::ClientsAsNobody flood([&](harness::ControlClients& monitors) {
        int accepted = 0;
        for (int i = 0; i < 120; ++i) {
            auto c = std::make_unique<Ctl>(d.control_socket());
            json r = c->request("monitor", harness::kPatienceMs);
            accepted += r.is_object() && r["ok"] == true;
            monitors.push_back(std::move(c));
        }
        return accepted;
    });
    const int accepted = flood.opened();
    print_message("monitor flood: %d of 120 monitors of one read-only user accepted\n", accepted);
    // Another read-only user, and the admin, are served at once.
    assert_int_equal(smallctl_as(d, "65533", "status"), 0);
    assert_int_equal(smallctl_as(d, "65533", "listeners"), 0);
    Ctl admin(d.control_socket());
    assert_true(admin.request("status")["ok"] == true);
    // Another read-only user may monitor too.
    assert_true(accepted >= 1);
    assert_true(accepted <= int(ControlServer::kMaxReadOnlyMonitorsPerUid));
    // The flood's monitors do not read: events are lost to them, and counted.
    uint16_t port = d.port("echo", "tcp");
    uint64_t dropped = 0;
    for (int round = 0; round < 20 && dropped == 0; ++round) {
        for (int i = 0; i < 500; ++i) {
            int fd = tcp_connect(port);
            if (fd >= 0) close(fd);
        }
        dropped = counter(admin, "control.events_dropped_total");
    }
    print_message("monitor flood: %llu events lost to monitors that do not read\n",
                  static_cast<unsigned long long>(dropped));
    assert_true(dropped > 0);
    assert_int_equal(smallctl_as(d, "65533", "status"), 0);
    assert_int_equal(flood.release(), 0);
}

// A datagram flood from one source at rate 2/s: thousands of rate drops.
uint64_t udp_flood(const TestDaemon& d, int datagrams) {
    int u = protect::udp_socket("127.0.0.1");
    socklen_t len;
    sockaddr_storage dst = protect::make_addr("127.0.0.1", d.port("flood", "udp"), &len);
    uint64_t sent = 0;
    for (int i = 0; i < datagrams; ++i) {
        sent += sendto(u, "x", 1, 0, reinterpret_cast<sockaddr*>(&dst), len) == 1;
        if (i % 100 == 99) usleep(2000);  // keep the daemon's receive buffer from overflowing
    }
    close(u);
    return sent;
}

void udp_flood_events_are_coalesced(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    Ctl reader(d.control_socket()), admin(d.control_socket());
    std::vector<std::unique_ptr<Ctl>> stalled;
    for (int i = 0; i < 4; ++i) {
        stalled.push_back(std::make_unique<Ctl>(d.control_socket()));
        assert_true(stalled.back()->request("monitor")["ok"] == true);
    }
    assert_true(reader.request("monitor")["ok"] == true);
    auto start = Clock::now();
    udp_flood(d, 20000);
    // Summaries follow the last drop: read until they report every drop the
    // daemon counted and the count stays put, or until nothing moved for
    // kPatienceMs (a hang).
    uint64_t events = 0, reported = 0, drops = 0;
    auto last_progress = Clock::now();
    while (Clock::now() - last_progress < std::chrono::milliseconds(harness::kPatienceMs)) {
        std::string line = reader.line(1000);
        if (line.empty()) {
            if (reader.eof()) break;
            uint64_t now = uint64_t(protect::dropped(d, "flood", "rate"));
            if (now != drops) {
                drops = now;
                last_progress = Clock::now();
            } else if (reported == drops && drops > 0) {
                break;
            }
            continue;
        }
        json e = json::parse(line, nullptr, false);
        if (e["event"] != "rejected") continue;
        ++events;
        reported += e.value("count", uint64_t(1));
        last_progress = Clock::now();
    }
    if (reported != drops)
        print_message("udp flood: the rejected events stopped at %llu of %llu drops for %d ms\n",
                      static_cast<unsigned long long>(reported),
                      static_cast<unsigned long long>(drops), harness::kPatienceMs);
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    print_message(
        "udp flood: %llu rate drops in %.1f s -> %llu rejected events reporting %llu drops\n",
        static_cast<unsigned long long>(drops), seconds, static_cast<unsigned long long>(events),
        static_cast<unsigned long long>(reported));
    assert_true(drops >= 1000);
    // One event for the first drop of each second, one summary at its end.
    assert_true(events <= 2 * uint64_t(seconds + 2));
    assert_int_equal(reported, drops);
    // The monitors that do not read lost nothing: there was little to send.
    assert_int_equal(counter(admin, "control.events_dropped_total"), 0);
    uint64_t coalesced = counter(admin, "control.events_coalesced_total");
    assert_true(coalesced + events >= drops);
}

void full_monitors_cost_no_events(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    Ctl admin(d.control_socket());
    std::vector<std::unique_ptr<Ctl>> stalled;
    for (int i = 0; i < 4; ++i) {
        stalled.push_back(std::make_unique<Ctl>(d.control_socket()));
        assert_true(stalled.back()->request("monitor")["ok"] == true);
    }
    // Fill them with session events until they lose some.
    uint16_t port = d.port("echo", "tcp");
    for (int round = 0; round < 40 && counter(admin, "control.events_dropped_total") == 0; ++round)
        for (int i = 0; i < 250; ++i) {
            int fd = tcp_connect(port);
            if (fd >= 0) close(fd);
        }
    assert_true(counter(admin, "control.events_dropped_total") > 0);
    uint64_t built = counter(admin, "control.events_total");
    uint64_t lost = counter(admin, "control.events_dropped_total");
    // Every monitor is full: the flood's events are counted as lost, not built.
    udp_flood(d, 5000);
    // Wait for the flood's first lost event (work, not a clock), then let the
    // rest of the flood arrive before checking that none was built.
    if (!harness::eventually([&] { return counter(admin, "control.events_dropped_total") > lost; }))
        print_message("full monitors: no event of the flood was counted as lost in %d ms\n",
                      harness::kPatienceMs);
    usleep(harness::kQuietMs * 1000);
    uint64_t built_after = counter(admin, "control.events_total");
    uint64_t lost_after = counter(admin, "control.events_dropped_total");
    print_message("full monitors: %llu events built, %llu lost during a flood of 5000\n",
                  static_cast<unsigned long long>(built_after - built),
                  static_cast<unsigned long long>(lost_after - lost));
    assert_true(built > 0);
    assert_int_equal(built_after, built);
    assert_true(lost_after > lost);
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(monitor_flood_locks_nobody_out),
                           cmocka_unit_test(udp_flood_events_are_coalesced),
                           cmocka_unit_test(full_monitors_cost_no_events)});
}
