// SPDX-License-Identifier: BSD-2-Clause
// One-way delays an SLA could rest on: in a private network namespace, a
// user-space relay (stamp_delay_relay.h) holds every forward packet 2 ms and
// every backward one 5 ms between smallprobe stamp and smalld's reflector,
// and logs each hold from its own kernel receive and transmit times. First
// the bare path: the relay holding nothing, each packet's one-way delay less
// the relay's logged hold is the path's own (two loopback legs); its minimum
// per direction is the bare-path minimum. Then with the holds, without and
// with authentication (HMAC-SHA-256, auth = required): smallprobe's forward
// and backward p50 must each be within 5 us of the relay's logged p50 hold
// plus that direction's bare-path minimum. The relay's log, not its
// configured delay, is the reference, so a loaded machine's late timers move
// both sides alike. The backward delay uses the reflector's kernel transmit
// time (Follow-Up Telemetry) of each reply but where the reflector read the
// session's next request before that reply had left (it batches when it is
// starved): those keep its clock reading, which is earlier, and the test
// prints how many (timestamps.t3.user). With 1 ms between packets, one of 18
// runs under ASan with both cores busy (none of 23 others) was 7.8 us over in
// its backward p50, most likely those clock readings; at 2 ms the reflector
// batches less (at most 49 of 200 in 6 such runs), and the bound stays the
// 5 us the issue asks.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "stamp_delay_relay.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace harness;
using stamp_relay::DelayRelay;
using stamp_relay::Hold;

namespace {

constexpr int kPackets = 200;
constexpr int64_t kForwardNs = 2'000'000, kBackwardNs = 5'000'000;
constexpr double kBoundUs = 5;

double p50(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? NAN : v[v.size() / 2];
}

// Runs smallprobe through the relay; its -j object, and every packet's
// (forward, backward) in microseconds by sequence number.
nlohmann::json probe(const DelayRelay& relay, const std::string& args, const std::string& samples,
                     std::map<uint32_t, std::pair<double, double>>* delays) {
    int status = 0;
    std::string out =
        smallprobe("stamp -n " + std::to_string(kPackets) + " -i 2ms -w 5s -j --samples " +
                       samples + " " + args + " 127.0.0.1:" + std::to_string(relay.port()),
                   &status);
    auto j = nlohmann::json::parse(out, nullptr, false);
    if (j.is_discarded() || status != 0) fprintf(stderr, "smallprobe printed: %s\n", out.c_str());
    assert_int_equal(status, 0);
    assert_false(j.is_discarded());
    assert_int_equal(j["received"].get<int>(), kPackets);
    std::ifstream in(samples);
    std::string line;
    std::getline(in, line);  // seq,size,t1_ns,t2_ns,t3_ns,t4_ns,ttl,copies
    while (std::getline(in, line)) {
        std::istringstream row(line);
        std::string f[6];
        for (auto& field : f) std::getline(row, field, ',');
        if (f[3].empty()) continue;
        double t1 = std::stod(f[2]), t2 = std::stod(f[3]), t3 = std::stod(f[4]),
               t4 = std::stod(f[5]);
        (*delays)[uint32_t(std::stoul(f[0]))] = {(t2 - t1) / 1e3, (t4 - t3) / 1e3};
    }
    return j;
}

// The relay's holds in microseconds, every one from kernel times.
std::vector<double> holds_us(const std::vector<Hold>& log) {
    std::vector<double> us;
    for (const Hold& h : log) {
        assert_true(h.kernel_times);
        us.push_back(double(h.held_ns()) / 1e3);
    }
    return us;
}

// Each packet's delay less the relay's hold of it: the path's own part.
// smallprobe's samples count from 0, its sequence numbers from a random
// start: the first packet the relay forwarded (none is lost).
std::vector<double> residuals(const std::vector<Hold>& log, uint32_t first,
                              const std::map<uint32_t, std::pair<double, double>>& delays,
                              bool forward) {
    std::vector<double> r;
    for (const Hold& h : log) {
        auto it = delays.find(h.sequence - first);
        if (it == delays.end()) continue;
        double d = forward ? it->second.first : it->second.second;
        r.push_back(d - double(h.held_ns()) / 1e3);
    }
    return r;
}

}  // namespace

static void one_way_p50s_are_the_relays_holds_plus_the_bare_path(void**) {
    if (!protect::enter_private_network()) skip();
    KeyFile key;
    std::string samples = key.dir + "/samples.csv";
    const std::string keys = "mode = stateful\nrate = 0/s\n";
    TestDaemon d(protect::config_head() + stamp_pair(key, keys, keys));
    assert_true(d.started());
    uint16_t port = d.port("stamp", "udp"), auth_port = d.port("stamp-auth", "udp");

    // The bare path: through the relay holding nothing.
    double bare[2];
    {
        std::map<uint32_t, std::pair<double, double>> delays;
        DelayRelay relay(port, 0, 0, false);
        probe(relay, "", samples, &delays);
        relay.stop();
        fprintf(stderr, "relay thread SCHED_FIFO: %s\n", relay.realtime() ? "yes" : "no");
        assert_int_equal(relay.forward_log().size(), kPackets);
        assert_int_equal(relay.backward_log().size(), kPackets);
        std::vector<double> f =
            residuals(relay.forward_log(), relay.forward_log().front().sequence, delays, true);
        std::vector<double> b =
            residuals(relay.backward_log(), relay.forward_log().front().sequence, delays, false);
        assert_int_equal(f.size(), kPackets);
        assert_int_equal(b.size(), kPackets);
        bare[0] = *std::min_element(f.begin(), f.end());
        bare[1] = *std::min_element(b.begin(), b.end());
        fprintf(stderr,
                "bare path: forward min %.2f us (p50 %.2f), backward min %.2f us (p50 %.2f); "
                "relay's own hold p50 forward %.2f us, backward %.2f us\n",
                bare[0], p50(f), bare[1], p50(b), p50(holds_us(relay.forward_log())),
                p50(holds_us(relay.backward_log())));
    }

    bool within = true;
    for (bool authenticated : {false, true}) {
        std::map<uint32_t, std::pair<double, double>> delays;
        DelayRelay relay(authenticated ? auth_port : port, kForwardNs, kBackwardNs, authenticated);
        nlohmann::json j =
            probe(relay, authenticated ? "--key-file " + key.path : "", samples, &delays);
        relay.stop();
        const char* mode = authenticated ? "authenticated" : "unauthenticated";
        assert_int_equal(relay.forward_log().size(), kPackets);
        assert_int_equal(relay.backward_log().size(), kPackets);
        double measured[2] = {j["forward"]["p50"].get<double>(),
                              j["backward"]["p50"].get<double>()};
        double held[2] = {p50(holds_us(relay.forward_log())), p50(holds_us(relay.backward_log()))};
        // T3 is the reflector's kernel transmit time (Follow-Up Telemetry)
        // but where a reply's follow-up came too late: then its clock reading.
        // (null: a smallprobe that does not say.)
        nlohmann::json none, t = j.value("timestamps", nlohmann::json::object());
        fprintf(stderr, "%s: T1 %s, T3 %s\n", mode, t.value("t1", none).dump().c_str(),
                t.value("t3", none).dump().c_str());
        const char* name[2] = {"forward", "backward"};
        for (int way = 0; way < 2; ++way) {
            double expected = held[way] + bare[way];
            double path = p50(residuals(way == 0 ? relay.forward_log() : relay.backward_log(),
                                        relay.forward_log().front().sequence, delays, way == 0));
            fprintf(stderr,
                    "%s %s: smallprobe p50 %.2f us; relay hold p50 %.2f us + bare min %.2f us = "
                    "%.2f us; off by %+.2f us (per-packet path p50 %.2f us)\n",
                    mode, name[way], measured[way], held[way], bare[way], expected,
                    measured[way] - expected, path);
            within = within && std::fabs(measured[way] - expected) <= kBoundUs;
        }
    }
    assert_true(within);
}

int main() {
    return run_test_group({cmocka_unit_test(one_way_p50s_are_the_relays_holds_plus_the_bare_path)});
}
