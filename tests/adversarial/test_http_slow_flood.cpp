// SPDX-License-Identifier: BSD-2-Clause
// Availability of the metrics endpoint under a slow-header flood: connections
// from 8, 64 and 1,000 source addresses (a private network namespace has all
// of 127.0.0.0/8 on lo) each send the start of a request and then a byte a
// second, and reconnect when closed (and, a variant, 1,000 addresses that
// connect and send nothing). Meanwhile a scrape from a fresh address must be
// served every time, sent at once or a moment after its connect, not just
// the descriptors stay bounded.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "harness.h"
#include "http_server.h"
#include "slow_flood.h"

#include "../cmocka.hpp"

using namespace harness;
using adversary::SlowFlood;
using smalld::HttpServer;

namespace {

constexpr int kScrapes = 10;
// Every other scrape sends its request this long after its connect, as a
// scraper on a loaded machine may (and the test's own, under ASan, did).
constexpr int kLateMs = 200;

// Source number `n` of the flood: 127.1.x.y.
std::string flood_address(int n) {
    return "127.1." + std::to_string(n / 250) + "." + std::to_string(n % 250 + 1);
}

int open_from(int source, uint16_t port) {
    socklen_t slen, dlen;
    sockaddr_storage src = protect::make_addr(flood_address(source).c_str(), 0, &slen);
    sockaddr_storage dst = protect::make_addr("127.0.0.1", port, &dlen);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (bind(fd, reinterpret_cast<sockaddr*>(&src), slen) != 0 ||
        (connect(fd, reinterpret_cast<sockaddr*>(&dst), dlen) != 0 && errno != EINPROGRESS)) {
        close(fd);
        return -1;
    }
    return fd;
}

// One GET /metrics from a fresh address, sent `late_ms` after the connect;
// true when it got 200 and the body.
bool scrape_from(const std::string& from, uint16_t port, int late_ms) {
    int fd = protect::tcp_connect_from(from.c_str(), "127.0.0.1", port);
    if (fd < 0) return false;
    usleep(useconds_t(late_ms) * 1000);
    bool ok = false;
    if (send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) {
        std::string buffer;
        harness::HttpResponse r = harness::read_response(fd, buffer, false);
        ok = r.status_line.rfind("HTTP/1.1 200", 0) == 0 &&
             r.body.find("process_start_time_seconds") != std::string::npos;
        if (!ok)
            print_message("scrape from %s, sent %d ms after its connect: \"%s\"\n", from.c_str(),
                          late_ms, r.status_line.c_str());
    }
    close(fd);
    return ok;
}

double counter(const std::string& metrics, const std::string& name) {
    size_t at = metrics.find("\n" + name + " ");
    return at == std::string::npos ? -1 : atof(metrics.c_str() + at + name.size() + 2);
}

// `first` and `dribble`: what each flood connection sends at once, and then
// a byte a second of; both empty for a flood of silent connections.
void flood_and_scrape(int sources, int per_source,
                      const std::string& first = "GET /metrics HTTP/1.1\r\nHost: x\r\n",
                      const std::string& dribble = "X-Slow: 1\r\n") {
    TestDaemon d(protect::config_head() + "[metrics]\nlisten = 127.0.0.1:0\n");
    assert_true(d.started());
    uint16_t port = protect::metrics_port(d);
    assert_true(port != 0);

    SlowFlood flood(sources, per_source, first, dribble,
                    [&](int source) { return open_from(source, port); });
    std::atomic<bool> stop{false};
    std::atomic<size_t> holding{0}, opened{0};
    std::thread attacker([&] {
        // Bounded by the flag and by a count of rounds (10 minutes' worth).
        for (int round = 0; round < 6000 && !stop; ++round) {
            flood.round();
            holding = flood.holding();
            opened = flood.opened();
            usleep(100'000);
        }
    });
    // Every address has connected, and the flood holds every slot it can,
    // before the first scrape.
    size_t want = std::min(
        {flood.slots(), HttpServer::kMaxConnections, size_t(sources) * HttpServer::kMaxPerSource});
    if (!eventually([&] { return opened >= flood.slots() && holding >= want; }))
        print_message("flood: %zu of %zu connections opened, %zu of %zu held\n", size_t(opened),
                      flood.slots(), size_t(holding), want);
    usleep(kQuietMs * 1000);

    // The flood's newcomers close the connections that have waited longest
    // when none has waited a second, within milliseconds at this rate; a
    // scrape's connection takes a slot only once its request has come.
    int served = 0;
    for (int i = 0; i < kScrapes; ++i) {
        int late_ms = i % 2 == 1 ? kLateMs : 0;
        served += scrape_from("127.2.0." + std::to_string(i + 1), port, late_ms);
        usleep(useconds_t(kLateMs - late_ms) * 1000);
    }
    stop = true;
    attacker.join();
    print_message(
        "%s flood from %d addresses x %d: %d of %d scrapes from a fresh address "
        "served, half sent %d ms after their connect (the flood opened %llu "
        "connections, %llu closed by the daemon)\n",
        first.empty() ? "silent-connection" : "slow-header", sources, per_source, served, kScrapes,
        kLateMs, static_cast<unsigned long long>(flood.opened()),
        static_cast<unsigned long long>(flood.closed()));
    assert_int_equal(served, kScrapes);

    std::string metrics = protect::http_get(port, "/metrics");
    double evicted = counter(metrics, "smalld_metrics_connections_evicted_total");
    print_message("flood from %d addresses: %.0f connections evicted, %.0f refused\n", sources,
                  evicted, counter(metrics, "smalld_metrics_connections_refused_total"));
    // The flood did fill the endpoint (or a source's share of it).
    assert_true(evicted > 0);
}

void from_8_addresses(void**) {
    flood_and_scrape(8, 8);
}
void from_64_addresses(void**) {
    flood_and_scrape(64, 2);
}
void from_1000_addresses(void**) {
    flood_and_scrape(1000, 1);
}
// A variant: connections that send nothing at all.
void silent_from_1000_addresses(void**) {
    flood_and_scrape(1000, 1, "", "");
}

}  // namespace

int main() {
    if (!protect::enter_private_network()) return 77;
    raise_fd_limit();
    return run_test_group({cmocka_unit_test(from_8_addresses), cmocka_unit_test(from_64_addresses),
                           cmocka_unit_test(from_1000_addresses),
                           cmocka_unit_test(silent_from_1000_addresses)});
}
