// SPDX-License-Identifier: BSD-2-Clause
// Bad input to the STAMP reflector: garbage, truncated, oversized and
// wrong-key packets are counted and get no reply beyond the amplification
// cap, and the daemon keeps serving everyone else meanwhile.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "harness.h"
#include "stamp_packet.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace harness;
namespace stamp = smalld::stamp;

namespace {

const std::string kKey = "adversarial key";

// A UDP socket to 127.0.0.1:port; sends without waiting, counts replies.
struct Peer {
    int fd;
    explicit Peer(uint16_t port) {
        fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        int buffer = 8 << 20;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    ~Peer() { close(fd); }
    void send_bytes(const std::vector<uint8_t>& p) const { send(fd, p.data(), p.size(), 0); }
    // Sends, and every 25 datagrams waits until the daemon has read them
    // all, so a loaded machine's full socket buffer loses none.
    void send_paced(const harness::TestDaemon& d, const std::string& instance,
                    const std::vector<uint8_t>& p) {
        send_bytes(p);
        if (++sent % 25 != 0) return;
        if (harness::eventually([&] {
                return protect::stat(d, instance, "udp", "datagrams_in_total") >= long(sent);
            }))
            return;
        fail_msg("%s stopped reading datagrams: %ld of %ld after %d ms", instance.c_str(),
                 protect::stat(d, instance, "udp", "datagrams_in_total"), long(sent),
                 harness::kPatienceMs);
    }
    unsigned long sent = 0;
    // The sizes of the replies: waits up to kPatienceMs for each of the
    // `expected` ones, then kQuietMs for any more (there should be none).
    std::vector<size_t> drain(size_t expected) const {
        std::vector<size_t> sizes;
        std::vector<uint8_t> buf(65536);
        for (int i = 0; i < 100000; ++i) {
            pollfd p{fd, POLLIN, 0};
            int wait = sizes.size() < expected ? harness::kPatienceMs : harness::kQuietMs;
            if (poll(&p, 1, wait) <= 0) {
                if (sizes.size() < expected)
                    harness::report_expired(wait, "reply " + std::to_string(sizes.size() + 1) +
                                                      " of " + std::to_string(expected));
                break;
            }
            ssize_t n = recv(fd, buf.data(), buf.size(), 0);
            if (n >= 0) sizes.push_back(size_t(n));
        }
        return sizes;
    }
};

std::vector<uint8_t> signed_packet(size_t size, uint32_t seq, const std::string& key) {
    std::vector<uint8_t> p(size, 0);
    stamp::store32(p.data(), seq);
    std::vector<uint8_t> k(key.begin(), key.end());
    stamp::hmac16(k, {p.data(), stamp::kHmacOffset}, p.data() + stamp::kHmacOffset);
    return p;
}

}  // namespace

static void bad_packets_are_counted_and_unanswered(void**) {
    harness::KeyFile key(kKey);
    TestDaemon d(protect::config_head() +
                 "[stamp]\nudp = 127.0.0.1:0\nauth = required\nkey_file = " + key.path +
                 "\nrate = 0/s\n"
                 "[stamp-capped]\ntype = stamp\nudp = 127.0.0.1:0\nrate = 0/s\n"
                 "udp_amplification = 0.5\n"
                 "[echo]\nudp = 127.0.0.1:0\nrate = 0/s\n");
    assert_true(d.started());
    Peer attacker(d.port("stamp", "udp"));
    std::mt19937 random(42);
    // Garbage shorter than any test packet: malformed.
    for (int i = 0; i < 200; ++i) {
        std::vector<uint8_t> p(random() % 14);
        for (auto& b : p) b = uint8_t(random());
        attacker.send_paced(d, "stamp", p);
    }
    // Truncated: an unauthenticated-size packet, and one byte short of 112.
    for (int i = 0; i < 100; ++i) {
        auto p = signed_packet(112, uint32_t(i), kKey);
        p.resize(i % 2 ? 44 : 111);
        attacker.send_paced(d, "stamp", p);
    }
    // The wrong key, and random bytes of authenticated size.
    for (int i = 0; i < 100; ++i)
        attacker.send_paced(d, "stamp", signed_packet(112 + i, uint32_t(i), "guess"));
    for (int i = 0; i < 100; ++i) {
        std::vector<uint8_t> p(112 + random() % 2000);
        for (auto& b : p) b = uint8_t(random());
        attacker.send_paced(d, "stamp", p);
    }
    // While that goes on, everyone else is served: a valid packet, and echo.
    Peer good(d.port("stamp", "udp"));
    good.send_bytes(signed_packet(112, 7, kKey));
    assert_string_equal(udp_exchange(d.port("echo", "udp"), "still here").c_str(), "still here");
    auto good_replies = good.drain(1);
    assert_int_equal(good_replies.size(), 1);
    assert_int_equal(good_replies[0], 112);
    assert_int_equal(attacker.drain(0).size(), 0);  // not one reply to the attacker
    assert_int_equal(protect::stat(d, "stamp", "udp", "stamp.malformed_total"), 200);
    assert_int_equal(protect::stat(d, "stamp", "udp", "stamp.auth_failures_total"), 300);
    assert_int_equal(protect::stat(d, "stamp", "udp", "stamp.reflected_total"), 1);

    // The cap: max(request x 0.5, 44). Short TWAMP-Light requests get the
    // 44-byte base; a request whose same-size reply exceeds the cap gets
    // nothing and is counted as an amplification drop; an oversized one too.
    Peer capped(d.port("stamp-capped", "udp"));
    for (size_t size : {14, 20, 43, 44, 88, 1000, 65507})
        capped.send_bytes(std::vector<uint8_t>(size));
    auto sizes = capped.drain(4);
    assert_int_equal(sizes.size(), 4);  // 14, 20, 43 and 44 bytes: 44 each
    for (size_t n : sizes) assert_int_equal(n, 44);
    // The oversized request may still be on its way in: wait for its count.
    harness::eventually([&] { return protect::dropped(d, "stamp-capped", "amplification") >= 3; });
    assert_int_equal(protect::dropped(d, "stamp-capped", "amplification"), 3);
    // Still alive and serving.
    good.send_bytes(signed_packet(112, 8, kKey));
    assert_int_equal(good.drain(1).size(), 1);
    assert_true(kill(d.pid(), 0) == 0);
}

int main() {
    return run_test_group({cmocka_unit_test(bad_packets_are_counted_and_unanswered)});
}
