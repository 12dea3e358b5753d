// SPDX-License-Identifier: BSD-2-Clause
// The stamp-sender end to end, in a network namespace of its own: one smalld
// reflects STAMP on 127.0.0.1, 127.0.0.2 and [::1] and measures peers at two
// of them and at a closed port. The answering peers come up and count
// exactly (every packet settled was received, none lost, the histograms
// count the replies), the closed one is down with its packets sent and
// lost; the contract's families are in the scrape, `smallctl -j peers` lists
// them; a reload that renames one peer, adds one and removes one keeps the
// unchanged peer's counters going (no reset) and names each change; `stats
// reset` zeroes the peers' counters and histograms, and they count again as
// exactly while the sessions go on.
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

#include "harness.h"
#include "protect.h"

#include "../cmocka.hpp"

using harness::TestDaemon;

namespace {

std::string config(const std::string& peers) {
    return protect::config_head() + R"(
[stamp]
udp = 127.0.0.1:862, 127.0.0.2:862, [::1]:862
mode = stateful

[mesh]
type = stamp-sender
interval = 20ms
timeout = 200ms
size = 60
peers = )" +
           peers + "\n";
}

nlohmann::json peers(const TestDaemon& d) {
    int status = -1;
    std::string out = smallctl(d, "-j peers", &status);
    nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    return status == 0 && j.is_array() ? j : nlohmann::json::array();
}

nlohmann::json peer(const nlohmann::json& list, const std::string& name) {
    for (const auto& p : list)
        if (p.value("peer", "") == name) return p;
    return nullptr;
}

uint64_t number(const nlohmann::json& p, const char* key) {
    return p.is_object() && p.contains(key) && p[key].is_number() ? p[key].get<uint64_t>() : 0;
}

// The value of one series of the scrape; -1 when it is not there.
double series(const std::string& scrape, const std::string& name_and_labels) {
    size_t at = scrape.find("\n" + name_and_labels + " ");
    if (at == std::string::npos) return -1;
    return atof(scrape.c_str() + at + name_and_labels.size() + 2);
}

void run(void**) {
    TestDaemon d(config("a 127.0.0.1, b [::1], closed 127.0.0.1:999"));
    assert_true(d.started());

    // Both reflectors answer, the closed port's packets are lost.
    nlohmann::json list;
    assert_true(harness::eventually([&] {
        list = peers(d);
        return number(peer(list, "a"), "received") >= 20 &&
               number(peer(list, "b"), "received") >= 20 &&
               number(peer(list, "closed")["lost"], "unknown") >= 5;
    }));
    assert_int_equal(list.size(), 3);
    for (const char* name : {"a", "b"}) {
        nlohmann::json p = peer(list, name);
        assert_true(p["up"].get<bool>());
        assert_str_eq(p["service"].get<std::string>(), "mesh");
        assert_true(number(p, "sent") >= number(p, "received"));
        assert_true(p["rtt_p50_seconds"].is_number());
    }
    nlohmann::json closed = peer(list, "closed");
    assert_false(closed["up"].get<bool>());
    assert_int_equal(number(closed, "received"), 0);
    assert_true(number(closed, "sent") >= 5);
    assert_true(closed["rtt_p50_seconds"].is_null());  // unknown, not 0
    assert_true(closed["last_seen_seconds_ago"].is_null());

    // The scrape: every family of the contract for each peer, and exact
    // counts: on loopback nothing is lost, every reply is in the histograms.
    std::string scrape = "\n" + smallctl(d, "metrics");
    for (const char* family :
         {"smalld_stamp_peer_rtt_seconds_bucket", "smalld_stamp_peer_network_rtt_seconds_count",
          "smalld_stamp_peer_forward_delay_seconds_sum",
          "smalld_stamp_peer_backward_delay_seconds_count", "smalld_stamp_peer_sent_total",
          "smalld_stamp_peer_received_total", "smalld_stamp_peer_lost_total",
          "smalld_stamp_peer_duplicates_total", "smalld_stamp_peer_reordered_total",
          "smalld_stamp_peer_reflector_resets_total", "smalld_stamp_peer_up",
          "smalld_stamp_peer_hops", "smalld_stamp_peer_clock_error_seconds",
          "smalld_stamp_peer_propagation_seconds", "smalld_stamp_peer_bottleneck_bits_per_second",
          "smalld_stamp_sender_replies_dropped_total"})
        if (scrape.find("\n" + std::string(family) + "{service=\"mesh\"") == std::string::npos)
            fail_msg("no %s{service=\"mesh\",...} in the scrape", family);
    for (const std::string p : {"a", "b"}) {
        std::string labels = "{service=\"mesh\",peer=\"" + p + "\"}";
        double received = series(scrape, "smalld_stamp_peer_received_total" + labels);
        assert_true(received >= 20);
        assert_true(series(scrape, "smalld_stamp_peer_rtt_seconds_count" + labels) == received);
        assert_true(series(scrape, "smalld_stamp_peer_up" + labels) == 1);
        assert_true(series(scrape, "smalld_stamp_peer_duplicates_total" + labels) == 0);
        for (const char* direction : {"forward", "backward", "reflector", "unknown"})
            assert_true(series(scrape, "smalld_stamp_peer_lost_total{service=\"mesh\",peer=\"" + p +
                                           "\",direction=\"" + direction + "\"}") == 0);
        // One clock: the one-way figures are exact.
        assert_true(series(scrape, "smalld_stamp_peer_clock_error_seconds" + labels) == 0);
    }
    assert_true(series(scrape, "smalld_stamp_peer_up{service=\"mesh\",peer=\"closed\"}") == 0);
    for (const char* reason : {"not_a_peer", "wrong_ssid", "wrong_port", "never_sent", "replay",
                               "too_far_ahead", "truncated", "malformed", "auth", "receive_buffer"})
        assert_true(series(scrape,
                           "smalld_stamp_sender_replies_dropped_total{service=\"mesh\","
                           "reason=\"" +
                               std::string(reason) + "\"}") == 0);

    // A reload: a unchanged, b renamed b2, c added, closed removed.
    nlohmann::json before = peer(peers(d), "a");
    d.write_config(config("a 127.0.0.1, b2 [::1], c 127.0.0.2"));
    int status = -1;
    std::string out = smallctl(d, "reload", &status);
    assert_int_equal(status, 0);
    for (const char* change : {"[mesh] peer b renamed b2", "[mesh] peer c added (127.0.0.2",
                               "[mesh] peer closed removed"})
        if (out.find(change) == std::string::npos)
            fail_msg("no \"%s\" in:\n%s", change, out.c_str());
    if (out.find("peer a ") != std::string::npos) fail_msg("a changed:\n%s", out.c_str());
    assert_true(harness::eventually([&] {
        list = peers(d);
        return number(peer(list, "c"), "received") >= 5 &&
               number(peer(list, "b2"), "received") >= 5;
    }));
    assert_int_equal(list.size(), 3);
    assert_true(peer(list, "closed").is_null());
    nlohmann::json after = peer(list, "a");
    // The same session: its counters went on from where they were.
    assert_true(number(after, "sent") > number(before, "sent"));
    assert_true(number(after, "received") > number(before, "received"));
    scrape = "\n" + smallctl(d, "metrics");
    assert_true(scrape.find("peer=\"closed\"") == std::string::npos);
    assert_true(series(scrape, "smalld_stamp_peer_sent_total{service=\"mesh\",peer=\"a\"}") >
                double(number(before, "sent")));

    // `stats reset`: a's counters start again from 0 (100 sent before, far
    // more than the packets of one smallctl call), its histograms with them.
    assert_true(harness::eventually([&] { return number(peer(peers(d), "a"), "sent") >= 100; }));
    assert_str_eq(smallctl(d, "stats reset"), "counters reset\n");
    uint64_t since = number(peer(peers(d), "a"), "sent");
    print_message("a sent %llu packets between the reset and the next read\n",
                  (unsigned long long)since);
    assert_true(since < 100);
    assert_true(harness::eventually([&] { return number(peer(peers(d), "a"), "received") >= 10; }));
    scrape = "\n" + smallctl(d, "metrics");
    std::string a = "{service=\"mesh\",peer=\"a\"}";
    double received = series(scrape, "smalld_stamp_peer_received_total" + a);
    assert_true(received >= 10);
    assert_true(series(scrape, "smalld_stamp_peer_rtt_seconds_count" + a) == received);
    assert_true(series(scrape, "smalld_stamp_peer_sent_total" + a) >= received);
    assert_true(series(scrape, "smalld_stamp_peer_up" + a) == 1);
    for (const char* direction : {"forward", "backward", "reflector", "unknown"})
        assert_true(series(scrape,
                           "smalld_stamp_peer_lost_total{service=\"mesh\",peer=\"a\","
                           "direction=\"" +
                               std::string(direction) + "\"}") == 0);
}

}  // namespace

int main() {
    if (!protect::enter_private_network()) return 77;
    return run_test_group({cmocka_unit_test(run)});
}
