// SPDX-License-Identifier: BSD-2-Clause
// The live page's snapshot from a fake read model, no Daemon: its rows from
// the counters and the listeners, the oldest sessions only (the model is
// asked for kLiveSessionsShown, not for all), and the privacy rule applied
// when it is written as /stats.json.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../cmocka.hpp"
#include "fake_read_model.h"
#include "live_history.h"
#include "live_page.h"
#include "live_snapshot.h"
#include "render.h"
#include "stats.h"

using namespace smalld;
using smalld::testing::FakeModel;

static void rows_come_from_the_counters_and_the_listeners(void**) {
    FakeModel model;
    InstanceStats& echo = model.counters.instance("echo", ServiceType::Echo);
    echo.note_listeners(true, false);
    echo.tcp.sessions_total = 4;
    echo.tcp.bytes_read = 100;
    echo.tcp.reject(RejectReason::Acl);
    echo.tcp.reject(RejectReason::Acl);
    model.counters.instance("qotd", ServiceType::Qotd)
        .note_listeners(true, false);  // idle, unserved
    LiveRates rates;
    rates[LiveRowKey("echo", "tcp")].sessions = 1.5;

    LiveSnapshot snapshot = live_snapshot(model, rates, true);
    assert_int_equal(snapshot.rows.size(), 1);  // qotd: no listener, no traffic
    const LiveRow& row = snapshot.rows[0];
    assert_str_eq(row.instance + " " + row.type + " " + row.proto, "echo echo tcp");
    assert_int_equal(row.listen.size(), 1);
    assert_str_eq(row.listen[0], "[::1]:7007");
    assert_true(row.open == 0.0);
    assert_true(row.sessions_total == 4 && row.read_bytes_total == 100);
    assert_true(row.rates.sessions == 1.5);
    assert_int_equal(row.refused.size(), 1);  // the reasons that happened
    assert_str_eq(row.refused[0].reason, "acl");
    assert_true(row.refused[0].count == 2);
    assert_str_eq(snapshot.daemon.version, "9.9");

    // The oldest few: the model is asked for that many, and counts them all.
    assert_true(model.limit_asked == kLiveSessionsShown);
    assert_int_equal(snapshot.sessions->open, 2);
    assert_int_equal(snapshot.sessions->oldest[0].id, 3);
    model.limit_asked.reset();
    assert_false(live_snapshot(model, rates, false).sessions.has_value());
    assert_false(model.limit_asked.has_value());  // page_sessions = no: not asked at all
}

static void the_json_hides_what_a_stranger_may_not_see(void**) {
    FakeModel model;
    model.last_reload = "failed: /etc/smalld/smalld.ini:3: rate: got \"pw\"";
    model.last_reload_errors = 2;
    LiveHistory history;
    nlohmann::json shown = live_snapshot_json(model, history, true);
    assert_str_eq(shown["daemon"]["last_reload"].get<std::string>(), model.last_reload);
    assert_str_eq(shown["sessions"][0]["peer"].get<std::string>(), "[2001:db8::3]:5000");
    assert_int_equal(shown["sessions_open"].get<int>(), 2);
    assert_int_equal(shown["version"].get<int>(), kStatsJsonVersion);

    nlohmann::json hidden = live_snapshot_json(model, history, false);
    assert_str_eq(hidden["daemon"]["last_reload"].get<std::string>(),
                  "failed: 2 errors; see smallctl status or the log");
    assert_false(hidden["sessions"][0].contains("peer"));
    assert_str_eq(hidden["sessions"][0]["local"].get<std::string>(), "[::1]:19");
    assert_false(live_snapshot_json(model, history, false, false).contains("sessions"));
}

// The peers are in the JSON only when a stamp-sender instance exists, one
// per peer by its configured name, and their addresses are details.
static void the_peers_come_with_a_sender_only(void**) {
    FakeModel model;
    LiveHistory history;
    assert_false(live_snapshot_json(model, history, true).contains("peers"));
    InstanceStats& sender = model.counters.instance("mesh", ServiceType::StampSender);
    auto peer = std::make_shared<SenderPeerStats>("node-b", stamp::SenderSettings{},
                                                  int64_t(60'000'000'000), 60);
    peer->address = "[2001:db8::9]:862";
    sender.sender.peers.push_back(peer);
    nlohmann::json shown = live_snapshot_json(model, history, true);
    assert_int_equal(shown["peers"].size(), 1);
    assert_str_eq(shown["peers"][0]["peer"].get<std::string>(), "node-b");
    assert_str_eq(shown["peers"][0]["address"].get<std::string>(), "[2001:db8::9]:862");
    assert_false(shown["peers"][0]["up"].get<bool>());  // never answered
    assert_true(shown["peers"][0]["rtt_p50_seconds"].is_null());
    nlohmann::json hidden = live_snapshot_json(model, history, false);
    assert_str_eq(hidden["peers"][0]["peer"].get<std::string>(), "node-b");
    assert_false(hidden["peers"][0].contains("address"));
    assert_false(hidden.dump().find("2001:db8::9") != std::string::npos);

    // The history keeps a series per peer for the panel's sparklines: no
    // figure yet is null, never 0.
    history.sample(model.counters, 0, 1'000'000'000);
    history.sample(model.counters, 1000, 2'000'000'000);
    nlohmann::json series = history.series()["peers"]["mesh/node-b"];
    assert_int_equal(series["rtt"].size(), 1);
    assert_true(series["rtt"][0].is_null() && series["loss"][0].is_null());
    history.sample(model.counters, 2000);  // no wall clock: no peers sampled
    assert_true(history.series()["peers"].empty());
}

// A peer's loss sparkline is each second's lost over its settled; a peer
// removed leaves the history, and one added again starts over, null before.
static void a_peers_sparklines_follow_it_second_by_second(void**) {
    FakeModel model;
    LiveHistory history;
    InstanceStats& sender = model.counters.instance("mesh", ServiceType::StampSender);
    auto peer = std::make_shared<SenderPeerStats>("node-b", stamp::SenderSettings{},
                                                  int64_t(60'000'000'000), 60);
    sender.sender.peers.push_back(peer);
    constexpr int64_t kS = 1'000'000'000;
    history.sample(model.counters, 0, 1 * kS);
    // Four packets, never answered: settled as lost past the 3 s timeout.
    std::vector<uint8_t> packet(64);
    for (int i = 0; i < 4; ++i) peer->session.build(packet, 44, 1 * kS);
    peer->session.expire(5 * kS);
    history.sample(model.counters, 1000, 5 * kS);
    history.sample(model.counters, 2000, 6 * kS);  // nothing settled
    nlohmann::json series = history.series()["peers"]["mesh/node-b"];
    assert_int_equal(series["loss"].size(), 2);
    assert_true(series["loss"][0] == 100.0);
    assert_true(series["loss"][1].is_null());
    assert_true(series["rtt"][0].is_null() && series["rtt"][1].is_null());

    sender.sender.peers.clear();
    history.sample(model.counters, 3000, 7 * kS);
    assert_false(history.series()["peers"].contains("mesh/node-b"));
    // Added again (a reload makes a new session), it starts over.
    sender.sender.peers.push_back(std::make_shared<SenderPeerStats>(
        "node-b", stamp::SenderSettings{}, int64_t(60'000'000'000), 60));
    history.sample(model.counters, 4000, 8 * kS);
    series = history.series()["peers"]["mesh/node-b"];
    assert_int_equal(series["rtt"].size(), 4);  // a step a second, as every series
    for (int i = 0; i < 3; ++i) assert_true(series["rtt"][i].is_null());
    // Its first step is what the new session settled: nothing yet.
    assert_true(series["loss"][3].is_null());

    // Five minutes on, the history is as long as it keeps, no longer.
    for (int i = 5; i < 400; ++i) history.sample(model.counters, i * 1000, (i + 4) * kS);
    series = history.series()["peers"]["mesh/node-b"];
    assert_int_equal(series["rtt"].size(), LiveHistory::kSamples - 1);
    assert_int_equal(series["loss"].size(), LiveHistory::kSamples - 1);
}

int main() {
    return run_test_group({cmocka_unit_test(rows_come_from_the_counters_and_the_listeners),
                           cmocka_unit_test(the_json_hides_what_a_stranger_may_not_see),
                           cmocka_unit_test(the_peers_come_with_a_sender_only),
                           cmocka_unit_test(a_peers_sparklines_follow_it_second_by_second)});
}
