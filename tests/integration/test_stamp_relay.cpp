// SPDX-License-Identifier: BSD-2-Clause
// The delay decomposition is right: in a private network namespace, a
// user-space relay written for this test sits between smallprobe stamp and
// smalld's stateful reflector. It delays the forward direction by 20 ms,
// drops every tenth forward packet and forwards with TTL 254 (one hop);
// the backward direction passes at once. smallprobe must report forward
// about 20 ms, backward about 0, processing in microseconds, the loss as
// forward loss, and one hop. Bounds are generous bands, never speeds.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace harness;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kForwardDelay = std::chrono::milliseconds(20);

class Relay {
  public:
    explicit Relay(uint16_t reflector_port) {
        client_side_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(client_side_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        getsockname(client_side_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        reflector_side_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        int ttl = 254;  // the relay is one hop
        setsockopt(reflector_side_, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
        a.sin_port = htons(reflector_port);
        connect(reflector_side_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        thread_ = std::thread([this] { loop(); });
    }
    ~Relay() {
        stop_ = true;
        thread_.join();
        close(client_side_);
        close(reflector_side_);
    }
    uint16_t port() const { return port_; }
    unsigned dropped() const { return dropped_; }

  private:
    struct Held {
        Clock::time_point release;
        std::string bytes;
    };
    void loop() {
        std::deque<Held> held;
        sockaddr_storage client{};
        socklen_t client_len = 0;
        unsigned forward = 0;
        char buf[65536];
        // Bounded: the test ends it, and it never runs more than 120 s.
        auto give_up = Clock::now() + std::chrono::seconds(120);
        while (!stop_ && Clock::now() < give_up) {
            int wait = 10;
            if (!held.empty()) {
                auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    held.front().release - Clock::now());
                wait = std::max<int>(0, std::min<int>(wait, int(left.count())));
            }
            pollfd p[2] = {{client_side_, POLLIN, 0}, {reflector_side_, POLLIN, 0}};
            poll(p, 2, wait);
            if (p[0].revents & POLLIN) {
                client_len = sizeof client;
                ssize_t n = recvfrom(client_side_, buf, sizeof buf, 0,
                                     reinterpret_cast<sockaddr*>(&client), &client_len);
                if (n >= 0 && ++forward % 10 != 0)
                    held.push_back({Clock::now() + kForwardDelay, std::string(buf, size_t(n))});
                else if (n >= 0)
                    ++dropped_;
            }
            if (p[1].revents & POLLIN) {
                ssize_t n = recv(reflector_side_, buf, sizeof buf, 0);
                if (n >= 0 && client_len)
                    sendto(client_side_, buf, size_t(n), 0, reinterpret_cast<sockaddr*>(&client),
                           client_len);
            }
            while (!held.empty() && held.front().release <= Clock::now()) {
                send(reflector_side_, held.front().bytes.data(), held.front().bytes.size(), 0);
                held.pop_front();
            }
        }
    }
    int client_side_ = -1, reflector_side_ = -1;
    uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<unsigned> dropped_{0};
    std::thread thread_;
};

std::string probe_command(uint16_t port, const char* extra) {
    std::string bin = harness::smallprobe_bin();
    return bin + " stamp -n 105 -i 5ms -w 10s --same-clock --sizes 64,512,1400 " + extra +
           " 127.0.0.1:" + std::to_string(port);
}

}  // namespace

static void decomposition_through_a_delaying_relay(void**) {
    if (!protect::enter_private_network()) skip();
    TestDaemon d(protect::config_head() +
                 "[stamp]\nudp = 127.0.0.1:0\nmode = stateful\nrate = 0/s\n");
    assert_true(d.started());
    int status = 0;
    {
        // The table for people, for the record. A relay per run, so each
        // run sees the same drops.
        Relay relay(d.port("stamp", "udp"));
        std::string table = run(probe_command(relay.port(), "--report 0"), &status, 60);
        fprintf(stderr, "%s", table.c_str());
        assert_int_equal(status, 0);
    }
    Relay relay(d.port("stamp", "udp"));
    std::string out = run(probe_command(relay.port(), "-j"), &status, 60);
    fprintf(stderr, "%s", out.c_str());
    assert_int_equal(status, 0);
    auto j = nlohmann::json::parse(out, nullptr, false);
    assert_false(j.is_discarded());
    assert_int_equal(j["sent"].get<int>(), 105);
    // Every tenth forward packet dropped: 10 of 105, all forward.
    assert_true(j["stateful_reflector"].get<bool>());
    assert_int_equal(j["lost"].get<int>(), 10);
    assert_int_equal(j["lost_forward"].get<int>(), 10);
    assert_int_equal(j["lost_backward"].get<int>(), 0);
    assert_int_equal(j["received"].get<int>(), 95);
    assert_int_equal(j["hops"].get<int>(), 1);
    // The relay's 20 ms land in the forward direction, and neither in the
    // backward one nor in the reflector's processing. A loaded machine only
    // adds delay, so each is checked on its minimum over the 95 replies and
    // by the gap the relay makes, never against a speed.
    double forward = j["forward"]["p50"].get<double>();
    double backward = j["backward"]["p50"].get<double>();
    double processing = j["processing"]["p50"].get<double>();
    fprintf(stderr, "forward p50 %.1f us, backward p50 %.1f us, processing p50 %.1f us\n", forward,
            backward, processing);
    double forward_min = j["forward"]["min"].get<double>();
    assert_true(forward_min >= 19'000 && forward >= forward_min);
    assert_true(j["backward"]["min"].get<double>() >= 0);
    assert_true(j["backward"]["min"].get<double>() + 15'000 <= forward_min);
    assert_true(j["processing"]["min"].get<double>() >= 0);
    assert_true(j["processing"]["min"].get<double>() + 15'000 <= forward_min);
    // The network RTT excludes the processing: rtt - processing.
    assert_true(j["network_rtt"]["p50"].get<double>() <= j["rtt"]["p50"].get<double>());
    assert_true(j["network_rtt"]["min"].get<double>() >= 19'000);
    // The reflector counted what it saw.
    assert_int_equal(relay.dropped(), 10);
    // Each relay is a new sender address and port: two sessions.
    assert_int_equal(protect::stat(d, "stamp", "udp", "stamp.sessions_current"), 2);
    // `stats reset` zeroes the counters; the table, and its gauge, stay.
    assert_str_eq(smallctl(d, "stats reset"), "counters reset\n");
    assert_int_equal(protect::stat(d, "stamp", "udp", "stamp.reflected_total"), 0);
    assert_int_equal(protect::stat(d, "stamp", "udp", "stamp.sessions_current"), 2);
}

int main() {
    return run_test_group({cmocka_unit_test(decomposition_through_a_delaying_relay)});
}
