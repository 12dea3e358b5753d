// SPDX-License-Identifier: BSD-2-Clause
// The stamp-sender's own full socket is not the path's loss. In a network
// namespace of its own, a sender measures 10 peers (10 ms each, 1,000
// packets a second) through a user-space relay that holds every reply 1 s
// and drops none (stamp_delay_relay.h: its log has every reply the
// reflector sent); its socket is small (receive_buffer = 64k). The sender is
// stopped for 1.5 s, so the second of replies in flight arrives at a socket
// nobody reads and the kernel drops most of them. Then every packet lost is
// one of those (the path lost nothing): the sender counts them as the
// kernel does (replies_dropped_total{reason="receive_buffer"} equals the
// socket's drop count in /proc/net/udp) and settles their packets as of
// unknown direction, never as backward loss; no forward or reflector loss.
// And a stall that leaves more replies in a socket big enough for them than
// one read takes: 30 peers, a 32 MiB buffer, stopped for 3 s with 2 s of
// timeout, so that some 3,000 replies wait there when the sender resumes and
// settles their packets: it reads them all first, and loses none.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "harness.h"
#include "protect.h"
#include "stamp_delay_relay.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using harness::TestDaemon;

namespace {

constexpr int kPeers = 10;
constexpr int64_t kHoldNs = 1'000'000'000;

// The datagrams the kernel dropped at `pid`'s UDP sockets; -1 when it has none.
long udp_drops_of(pid_t pid) {
    long drops = -1;
    std::error_code ec;
    for (const auto& fd :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
        std::string target = std::filesystem::read_symlink(fd.path(), ec).string();
        if (target.rfind("socket:[", 0) != 0) continue;
        unsigned long inode = std::stoul(target.substr(8));
        for (const protect::UdpSocketRow& r : protect::udp_sockets())
            if (r.inode == inode) drops = std::max(drops, 0L) + r.drops;
    }
    return drops;
}

struct Totals {
    uint64_t sent = 0, received = 0, forward = 0, backward = 0, reflector = 0, unknown = 0;
    uint64_t lost() const { return forward + backward + reflector + unknown; }
};

Totals totals(const TestDaemon& d) {
    int status = -1;
    nlohmann::json list = nlohmann::json::parse(smallctl(d, "-j peers", &status), nullptr, false);
    Totals t;
    if (status != 0 || !list.is_array()) return t;
    auto n = [](const nlohmann::json& o, const char* key) -> uint64_t {
        return o.is_object() && o.contains(key) && o[key].is_number() ? o[key].get<uint64_t>() : 0;
    };
    for (const auto& p : list) {
        t.sent += n(p, "sent");
        t.received += n(p, "received");
        t.forward += n(p["lost"], "forward");
        t.backward += n(p["lost"], "backward");
        t.reflector += n(p["lost"], "reflector");
        t.unknown += n(p["lost"], "unknown");
    }
    return t;
}

const std::string kReflector =
    protect::config_head() + "[stamp]\nudp = 127.0.0.1:0\nmode = stateful\nrate = 0/s\n";

// `count` peers p0, p1, ..., all at the relay: the peers= value.
std::string peers_at(const stamp_relay::DelayRelay& relay, int count) {
    std::string peers;
    for (int i = 0; i < count; ++i)
        peers +=
            (i ? ", p" : "p") + std::to_string(i) + " 127.0.0.1:" + std::to_string(relay.port());
    return peers;
}

// Stops `sender` for `us` microseconds, its replies arriving at a socket
// nobody reads; returns the kernel's drops at its sockets by then.
long stopped_for(const TestDaemon& sender, useconds_t us) {
    assert_int_equal(kill(sender.pid(), SIGSTOP), 0);
    usleep(us);
    long drops = udp_drops_of(sender.pid());
    assert_int_equal(kill(sender.pid(), SIGCONT), 0);
    return drops;
}

// smalld_stamp_sender_replies_dropped_total{...reason=`reason`}; -1 if absent.
double dropped(const TestDaemon& d, const std::string& reason) {
    std::string scrape = protect::http_get(protect::metrics_port(d), "/metrics");
    std::string name =
        "smalld_stamp_sender_replies_dropped_total{service=\"mesh\",reason=\"" + reason + "\"} ";
    size_t at = scrape.find(name);
    return at == std::string::npos ? -1 : atof(scrape.c_str() + at + name.size());
}

}  // namespace

static void own_socket_drops_are_not_the_paths_loss(void**) {
    if (!protect::enter_private_network()) skip();
    TestDaemon reflector(kReflector);
    assert_true(reflector.started());
    stamp_relay::DelayRelay relay(reflector.port("stamp", "udp"), 0, kHoldNs, false);
    TestDaemon sender(protect::config_head() +
                      "[metrics]\nlisten = 127.0.0.1:0\n\n"
                      "[mesh]\ntype = stamp-sender\ninterval = 10ms\ntimeout = 5s\n"
                      "receive_buffer = 64k\npeers = " +
                      peers_at(relay, kPeers) + "\n");
    assert_true(sender.started());

    // Measuring: the peers answer through the relay.
    assert_true(harness::eventually([&] { return totals(sender).received >= 20 * kPeers; }));

    // A second of replies in flight reaches a socket nobody reads; the
    // drops since the sender started are all there will be.
    long drops = stopped_for(sender, 1'500'000);
    print_message("the kernel has dropped %ld replies at the sender's socket\n", drops);
    assert_true(drops > 0);

    // Each dropped reply's packet is settled (after the 5 s timeout, its
    // direction with the next counted reply): all of unknown direction.
    Totals t;
    assert_true(harness::eventually(
        [&] {
            t = totals(sender);
            return t.lost() >= uint64_t(drops);
        },
        harness::kPatienceMs));
    usleep(harness::kQuietMs * 1000);
    t = totals(sender);
    relay.stop();
    print_message(
        "sent %llu, received %llu; lost: forward %llu, backward %llu, reflector %llu, unknown "
        "%llu; the relay passed %zu requests and %zu replies\n",
        (unsigned long long)t.sent, (unsigned long long)t.received, (unsigned long long)t.forward,
        (unsigned long long)t.backward, (unsigned long long)t.reflector,
        (unsigned long long)t.unknown, relay.forward_log().size(), relay.backward_log().size());
    assert_int_equal(t.backward, 0);
    assert_int_equal(t.forward, 0);
    assert_int_equal(t.reflector, 0);
    assert_int_equal(t.unknown, uint64_t(drops));
    assert_true(dropped(sender, "receive_buffer") == double(drops));
    assert_int_equal(udp_drops_of(sender.pid()), drops);  // none since
    assert_true(sender.log().find("datagrams at the sender's full socket") != std::string::npos);
}

static void replies_left_by_a_stall_are_read_before_a_loss(void**) {
    if (!protect::enter_private_network()) skip();
    constexpr int kMany = 30;
    TestDaemon reflector(kReflector);
    assert_true(reflector.started());
    stamp_relay::DelayRelay relay(reflector.port("stamp", "udp"), 0, kHoldNs, false);
    TestDaemon sender(protect::config_head() +
                      "[mesh]\ntype = stamp-sender\ninterval = 10ms\ntimeout = 2s\n"
                      "receive_buffer = 16m\npeers = " +
                      peers_at(relay, kMany) + "\n");
    assert_true(sender.started());
    assert_true(harness::eventually([&] { return totals(sender).received >= 20 * kMany; }));

    // A second of replies in flight waits in the socket, past the timeout;
    // the buffer holds them all.
    assert_int_equal(stopped_for(sender, 3'000'000), 0);

    // Every packet sent before the stop is settled now, and none is lost.
    Totals before = totals(sender), t;
    assert_true(harness::eventually([&] {
        t = totals(sender);
        return t.received > before.received + 2'000;
    }));
    usleep(harness::kQuietMs * 1000);
    t = totals(sender);
    relay.stop();
    print_message(
        "sent %llu, received %llu (%llu after the stop), lost %llu; the relay passed "
        "%zu replies\n",
        (unsigned long long)t.sent, (unsigned long long)t.received,
        (unsigned long long)(t.received - before.received), (unsigned long long)t.lost(),
        relay.backward_log().size());
    assert_int_equal(t.lost(), 0);
    assert_int_equal(udp_drops_of(sender.pid()), 0);
}

int main() {
    return run_test_group({cmocka_unit_test(own_socket_drops_are_not_the_paths_loss),
                           cmocka_unit_test(replies_left_by_a_stall_are_read_before_a_loss)});
}
