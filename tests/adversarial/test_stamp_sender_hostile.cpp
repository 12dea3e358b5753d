// SPDX-License-Identifier: BSD-2-Clause
// A hostile network against the daemon's stamp-sender (issue 24): in a
// network namespace of the test's own, smalld's [mesh] measures "honest", a
// smalld reflector (127.0.0.1), and "evil", a socket of this test
// (127.0.0.2) that answers as an attacker would: from a non-peer, forged as
// a peer from another port or with another SSID (as "honest" through a raw
// socket), to packets never sent, replays once the packet is settled,
// sequence numbers far ahead, truncated, oversized and malformed-TLV
// replies, and a flood. Each kind is sent a known number of times:
// smalld_stamp_sender_replies_dropped_total{reason} (its /metrics) must
// rise by exactly that for its reason and no other. Then: alive and
// answering (ASan in tools/test), RSS up by less than 4 MiB (8 under ASan)
// over a flood of 20,000 datagrams of 1,000 bytes (20 MB if kept), and the
// honest peer's figures a clean path's: every packet sent by the attack's
// end answered, nothing lost, no duplicate, reorder or reset, and as many
// round-trip samples as replies (no forged sample taken).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "metrics_scrape.h"
#include "protect.h"
#include "stamp_packet.h"
#include "udp_loop.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace harness;
namespace stamp = smalld::stamp;
using Bytes = std::vector<uint8_t>;
using namespace metrics_scrape;

namespace {

constexpr const char* kReasons[] = {"not_a_peer", "wrong_ssid",    "wrong_port", "never_sent",
                                    "replay",     "too_far_ahead", "truncated",  "malformed",
                                    "auth",       "receive_buffer"};
constexpr int kEach = 10;  // datagrams per kind of attack
// The RSS the attack may add: 4 MiB, twice that under ASan (redzones,
// shadow memory, quarantine). Kept, the flood alone would be 20 MB.
constexpr long kGrowthKiB = 4096 * (kSanitized ? 2 : 1);

struct Sender {
    uint16_t metrics;
    // A whole scrape: the metrics listener may turn a quick reconnect away
    // (its per-source limit), so retry, bounded, until one has our series.
    Scrape fresh() const {
        Scrape m;
        eventually([&] {
            m = scrape(metrics);
            return value(m, "smalld_stamp_sender_replies_dropped_total", {}) >= 0;
        });
        return m;
    }
    static double dropped(const Scrape& m, const std::string& reason) {
        return value(m, "smalld_stamp_sender_replies_dropped_total",
                     {{"service", "mesh"}, {"reason", reason}});
    }
    static double peer(const Scrape& m, const std::string& name, const std::string& family,
                       const std::string& direction = "") {
        std::map<std::string, std::string> labels = {{"service", "mesh"}, {"peer", name}};
        if (!direction.empty()) labels["direction"] = direction;
        return value(m, "smalld_stamp_peer_" + family, labels);
    }
    double peer(const std::string& name, const std::string& family) const {
        return peer(fresh(), name, family);
    }
    static double lost(const Scrape& m, const std::string& name) {
        double sum = 0;
        for (const char* d : {"forward", "backward", "reflector", "unknown"})
            sum += peer(m, name, "lost_total", d);
        return sum;
    }
    double lost(const std::string& name) const { return lost(fresh(), name); }
};

// The evil peer: a socket on 127.0.0.2 that the sender sends to.
struct Evil {
    int fd = protect::udp_socket("127.0.0.2");
    sockaddr_storage sender{};
    socklen_t sender_len = 0;
    uint32_t reflector_seq = 0;
    ~Evil() { close(fd); }
    uint16_t port() const {
        sockaddr_in a{};
        socklen_t len = sizeof a;
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        return ntohs(a.sin_port);
    }
    std::string sender_ip() const {
        char text[INET_ADDRSTRLEN] = "";
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&sender)->sin_addr, text,
                  sizeof text);
        return text;
    }
    uint16_t sender_port() const {
        return ntohs(reinterpret_cast<const sockaddr_in*>(&sender)->sin_port);
    }
    // The newest packet the sender sent here (waits for one when none is queued).
    Bytes request() {
        Bytes newest, buf(65536);
        for (int i = 0; i < 100000; ++i) {
            pollfd p{fd, POLLIN, 0};
            if (poll(&p, 1, newest.empty() ? kPatienceMs : 0) <= 0) break;
            sender_len = sizeof sender;
            ssize_t n = recvfrom(fd, buf.data(), buf.size(), 0,
                                 reinterpret_cast<sockaddr*>(&sender), &sender_len);
            if (n > 0) newest.assign(buf.begin(), buf.begin() + n);
        }
        if (newest.empty()) report_expired(kPatienceMs, "a packet from the stamp-sender");
        return newest;
    }
    // A reflector's honest answer to `req`, its T2 and T3 now.
    Bytes reply(const Bytes& req) {
        stamp::Classified c = stamp::classify(req, stamp::AuthMode::None, {});
        Bytes out(std::max(c.reply_size, req.size()));
        uint64_t now = stamp::encode_timestamp(smalld::wall_now(), stamp::TimestampFormat::Ntp);
        stamp::ReflectorFields f{reflector_seq++, 0, now, 64};
        out.resize(stamp::build_reply(req, c, f, out));
        stamp::seal_reply(out, false, now, {});
        return out;
    }
    // Sends from this socket (the peer's own address and port).
    void send(const Bytes& b) const {
        sendto(fd, b.data(), b.size(), 0, reinterpret_cast<const sockaddr*>(&sender), sender_len);
    }
    // Sends from a fresh socket on `from` (another port, or another address).
    void send_from(const char* from, const Bytes& b) const {
        int s = protect::udp_socket(from);
        sendto(s, b.data(), b.size(), 0, reinterpret_cast<const sockaddr*>(&sender), sender_len);
        close(s);
    }
};

// The UDP socket on `port`: the bytes queued for it and the datagrams the
// kernel dropped on a full buffer.
struct Queue {
    long bytes = -1, drops = -1;
};
Queue udp_queue(uint16_t port) {
    for (const protect::UdpSocketRow& r : protect::udp_sockets())
        if (r.port == port) return {r.bytes, r.drops};
    return {};
}

// Waits until every reason's count is `want`'s, then kQuietMs more for one
// that moves on (there should be none); prints the counts when they differ.
bool counts_are(const Sender& s, const std::map<std::string, double>& want, const char* what) {
    std::map<std::string, double> got;
    auto read = [&] {
        Scrape m = s.fresh();
        for (const char* r : kReasons) got[r] = std::max(0.0, Sender::dropped(m, r));
        return got == want;
    };
    bool reached = eventually(read);
    usleep(kQuietMs * 1000);
    reached = reached && read();
    print_message("%s: %s\n", what, reached ? "each counted by its reason" : "counts differ:");
    if (!reached)
        for (const char* r : kReasons)
            print_message("  %-14s got %.0f, expected %.0f\n", r, got[r], want.at(r));
    return reached;
}

}  // namespace

static void hostile_replies_are_dropped_by_reason_and_spare_the_honest_peer(void**) {
    if (!protect::enter_private_network()) skip();
    TestDaemon reflector(protect::config_head() + "[stamp]\nudp = 127.0.0.1:0\nmode = stateful\n");
    assert_true(reflector.started());
    uint16_t honest_port = reflector.port("stamp", "udp");
    Evil evil;
    TestDaemon d(protect::config_head() +
                     "[metrics]\nlisten = 127.0.0.1:0\n"
                     "[mesh]\ntype = stamp-sender\ninterval = 20ms\ntimeout = 1s\nsize = 60\n"
                     "peers = honest 127.0.0.1:" +
                     std::to_string(honest_port) +
                     ", evil 127.0.0.2:" + std::to_string(evil.port()) + "\n",
                 {}, harness::env_without_quarantine());
    assert_true(d.started() && evil.fd >= 0);
    Sender s{protect::metrics_port(d)};
    assert_true(s.metrics != 0);
    Bytes req = evil.request();
    assert_true(req.size() >= stamp::kBaseSize);
    const uint16_t evil_ssid = stamp::load16(req.data() + stamp::kUnauthenticated.ssid);
    // The honest peer measured before the attack; the daemon's RSS then.
    assert_true(eventually([&] { return s.peer("honest", "received_total") >= 10; }));
    long rss_before = settled_rss(d);
    std::map<std::string, double> want;
    for (const char* r : kReasons) want[r] = 0;

    // Replies from a non-peer address.
    for (int i = 0; i < kEach; ++i) evil.send_from("127.0.0.9", evil.reply(evil.request()));
    want["not_a_peer"] += kEach;
    assert_true(counts_are(s, want, "from a non-peer"));

    // Forged as a peer from another port: evil's address, and honest's
    // (a raw socket: 127.0.0.1, port 9).
    for (int i = 0; i < kEach; ++i) {
        Bytes r = evil.reply(evil.request());
        evil.send_from("127.0.0.2", r);
        assert_true(
            udp_loop::send_forged("127.0.0.1", 9, evil.sender_ip().c_str(), evil.sender_port(), r));
    }
    want["wrong_port"] += 2 * kEach;
    assert_true(counts_are(s, want, "forged from another port"));

    // Forged with another SSID: evil's own with its SSID changed, and
    // honest's address and port with evil's SSID (not honest's).
    for (int i = 0; i < kEach; ++i) {
        Bytes r = evil.reply(evil.request());
        assert_true(udp_loop::send_forged("127.0.0.1", honest_port, evil.sender_ip().c_str(),
                                          evil.sender_port(), r));
        stamp::store16(r.data() + stamp::kUnauthenticated.ssid, uint16_t(evil_ssid ^ 0x5a5a));
        evil.send(r);
    }
    want["wrong_ssid"] += 2 * kEach;
    assert_true(counts_are(s, want, "forged with another SSID"));

    // Replies to packets never sent: a live sequence number, another T1.
    for (int i = 0; i < kEach; ++i) {
        Bytes r = evil.reply(evil.request());
        size_t t1 = stamp::kUnauthenticated.sender_timestamp;
        stamp::store64(r.data() + t1, stamp::load64(r.data() + t1) ^ 0x10000);
        evil.send(r);
    }
    want["never_sent"] += kEach;
    assert_true(counts_are(s, want, "to packets never sent"));

    // Sequence numbers far ahead of the last packet sent.
    for (int i = 0; i < kEach; ++i) {
        Bytes r = evil.reply(evil.request());
        size_t at = stamp::kUnauthenticated.sender_sequence;
        stamp::store32(r.data() + at, stamp::load32(r.data() + at) + 100000 + uint32_t(i));
        evil.send(r);
    }
    want["too_far_ahead"] += kEach;
    assert_true(counts_are(s, want, "sequence numbers far ahead"));

    // Truncated: shorter than the base packet, and than the packet sent.
    for (int i = 0; i < kEach; ++i) {
        Bytes r = evil.reply(evil.request());
        evil.send(Bytes(r.begin(), r.begin() + 20));
        evil.send(Bytes(r.begin(), r.end() - 4));
    }
    want["truncated"] += 2 * kEach;
    assert_true(counts_are(s, want, "truncated"));

    // Malformed: oversized, a TLV whose length runs past the end, and a
    // sender's packet (no T2, T3) sent back unreflected.
    for (int i = 0; i < kEach; ++i) {
        Bytes q = evil.request();
        Bytes r = evil.reply(q);
        Bytes big = r;
        big.resize(r.size() + 200, 0);
        evil.send(big);
        Bytes bad = r;
        stamp::store16(bad.data() + stamp::kBaseSize + 2, 0x0fff);  // the first TLV's length
        evil.send(bad);
        evil.send(q);
    }
    want["malformed"] += 3 * kEach;
    assert_true(counts_are(s, want, "malformed"));

    // A replay: a real reply (taken: evil received it), sent again once its
    // packet was settled (every packet sent before it answered or lost).
    Bytes first = evil.reply(evil.request());
    double received = s.peer("evil", "received_total");
    evil.send(first);
    assert_true(eventually([&] { return s.peer("evil", "received_total") == received + 1; }));
    double sent = s.peer("evil", "sent_total");
    assert_true(
        eventually([&] { return s.peer("evil", "received_total") + s.lost("evil") >= sent + 1; }));
    for (int i = 0; i < kEach; ++i) evil.send(first);
    want["replay"] += kEach;
    assert_true(counts_are(s, want, "replays"));

    // A flood: 20,000 oversized replies from a non-peer, as fast as the
    // daemon reads them: sent while its socket holds under 64 KiB, so the
    // kernel drops none (checked), and every one must be counted.
    Bytes junk = evil.reply(evil.request());
    junk.resize(1000, 0x55);
    int flood = protect::udp_socket("127.0.0.9");
    long drops_before = udp_queue(evil.sender_port()).drops;
    assert_true(drops_before >= 0);
    for (int i = 0; i < 20000; ++i) {
        if (i % 8 == 0 && !eventually([&] { return udp_queue(evil.sender_port()).bytes < 65536; }))
            fail_msg("the sender stopped reading: %d of 20,000 sent", i);
        sendto(flood, junk.data(), junk.size(), 0, reinterpret_cast<const sockaddr*>(&evil.sender),
               evil.sender_len);
    }
    close(flood);
    want["not_a_peer"] += 20000;
    assert_true(counts_are(s, want, "a flood of 20,000"));
    assert_int_equal(udp_queue(evil.sender_port()).drops, drops_before);
    long rss_after = settled_rss(d);
    print_message("RSS %ld KiB before the attack, %ld KiB after (bound: %ld KiB more)\n",
                  rss_before, rss_after, kGrowthKiB);
    assert_true(rss_after - rss_before < kGrowthKiB);

    // Alive (answering smallctl, below), and the honest peer's figures a
    // clean path's: all sent by now answered, none lost, copied, reordered.
    double honest_sent = s.peer("honest", "sent_total");
    assert_true(eventually([&] { return s.peer("honest", "received_total") >= honest_sent; }));
    Scrape m = s.fresh();
    auto honest = [&](const std::string& family) { return Sender::peer(m, "honest", family); };
    double lost = Sender::lost(m, "honest");
    print_message(
        "honest: %.0f sent by the attack's end; now %.0f sent, %.0f received, %.0f RTT "
        "samples, lost %.0f, %.0f duplicates, %.0f reordered, %.0f resets\n",
        honest_sent, honest("sent_total"), honest("received_total"), honest("rtt_seconds_count"),
        lost, honest("duplicates_total"), honest("reordered_total"),
        honest("reflector_resets_total"));
    assert_true(lost == 0 && honest("duplicates_total") == 0 && honest("reordered_total") == 0 &&
                honest("reflector_resets_total") == 0);
    assert_true(honest("rtt_seconds_count") == honest("received_total"));
    assert_true(honest("received_total") <= honest("sent_total"));
    int status = 0;
    smallctl(d, "status", &status);
    assert_int_equal(status, 0);
}

int main() {
    return run_test_group(
        {cmocka_unit_test(hostile_replies_are_dropped_by_reason_and_spare_the_honest_peer)});
}
