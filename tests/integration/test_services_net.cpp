// SPDX-License-Identifier: BSD-2-Clause
// Every service over TCP and UDP, on 127.0.0.1 and ::1, against the real
// daemon; and the standard clients nc and socat against it.
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <ctime>
#include <memory>
#include <string>

#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using harness::TestDaemon;

// Every type on IPv4 and IPv6 loopback, and a time instance one hour past
// the 2036 wrap (`offset`).
static std::string config(long offset) {
    std::string ini = "[daemon]\nlog_level = info\n[control]\nsocket =\n";
    for (const char* type : {"echo", "discard", "chargen", "qotd", "daytime", "time", "status"})
        ini +=
            std::string("[") + type + "]\ntcp = 127.0.0.1:0, [::1]:0\nudp = 127.0.0.1:0, [::1]:0\n";
    return ini + "[clock-2036]\ntype = time\ntcp = 127.0.0.1:0\nudp = 127.0.0.1:0\noffset = " +
           std::to_string(offset) + "\n";
}

static std::unique_ptr<TestDaemon> daemon_;
static time_t offset_taken_at;  // the [clock-2036] offset counts from here

// The daemon reads CLOCK_REALTIME; time() may read a coarse clock that lags it
// by a tick, so a reply sent just after a second began could look early.
static time_t wall_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec;
}

static int setup(void**) {
    // The wrap is at unix 2085978496; an hour past it, counted from now.
    offset_taken_at = wall_seconds();
    long offset = 2085978496L + 3600 - static_cast<long>(offset_taken_at);
    daemon_ = std::make_unique<TestDaemon>(config(offset));
    return daemon_->started() ? 0 : -1;
}

static int teardown(void**) {
    daemon_.reset();
    return 0;
}

static uint16_t port(const char* instance, const char* proto, int family) {
    uint16_t p = daemon_->port(instance, proto, family);
    assert_true(p > 0);
    return p;
}

static uint32_t be32(const std::string& s) {
    const auto* b = reinterpret_cast<const unsigned char*>(s.data());
    return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
}

static void echo_tcp(void**) {
    for (int family : {AF_INET, AF_INET6}) {
        int fd = harness::tcp_connect(port("echo", "tcp", family), family);
        assert_true(fd >= 0);
        // Binary data with NULs, larger than any single buffer, in order.
        std::string data(1 << 20, '\0');
        for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 7919) >> 3);
        assert_true(harness::send_all(fd, data));
        shutdown(fd, SHUT_WR);
        std::string back = harness::recv_until_eof(fd, 2 << 20);
        close(fd);
        assert_int_equal(back.size(), data.size());
        assert_true(back == data);
    }
}

static void echo_udp(void**) {
    for (int family : {AF_INET, AF_INET6}) {
        std::string payload("hello\0world", 11);
        assert_true(harness::udp_exchange(port("echo", "udp", family), payload, family) == payload);
    }
}

static void discard_both(void**) {
    for (int family : {AF_INET, AF_INET6}) {
        int fd = harness::tcp_connect(port("discard", "tcp", family), family);
        assert_true(fd >= 0);
        assert_true(harness::send_all(fd, std::string(100000, 'x')));
        shutdown(fd, SHUT_WR);
        // Nothing comes back, and the daemon closes after our EOF.
        assert_int_equal(harness::recv_until_eof(fd, 1000).size(), 0);
        close(fd);
        // No reply, but the datagram did arrive: the status report counted it.
        long received = protect::status_column(*daemon_, "discard", 2);
        assert_int_equal(
            harness::udp_exchange(port("discard", "udp", family), "x", family, harness::kQuietMs)
                .size(),
            0);
        assert_true(harness::eventually(
            [&] { return protect::status_column(*daemon_, "discard", 2) == received + 1; }));
    }
}

static void chargen_tcp(void**) {
    for (int family : {AF_INET, AF_INET6}) {
        int fd = harness::tcp_connect(port("chargen", "tcp", family), family);
        assert_true(fd >= 0);
        std::string got = harness::recv_exactly(fd, 74 * 200);
        close(fd);
        assert_int_equal(got.size(), 74 * 200);
        for (size_t line = 0; line < 200; ++line) {
            for (size_t col = 0; col < 72; ++col)
                assert_int_equal(got[line * 74 + col], ' ' + (line + col) % 95);
            assert_memory_equal(got.data() + line * 74 + 72, "\r\n", 2);
        }
        // A client that has nothing to send and says so at once (nc -N
        // </dev/null, socat) still gets the stream.
        fd = harness::tcp_connect(port("chargen", "tcp", family), family);
        shutdown(fd, SHUT_WR);
        assert_int_equal(harness::recv_exactly(fd, 74 * 200).size(), 74 * 200);
        close(fd);
    }
}

// The character at `offset` of the RFC 864 stream: 72 rotating characters, CRLF.
static char chargen_at(size_t offset) {
    size_t line = offset / 74, col = offset % 74;
    if (col >= 72) return col == 72 ? '\r' : '\n';
    return static_cast<char>(' ' + (line + col) % 95);
}

static void chargen_udp(void**) {
    for (int family : {AF_INET, AF_INET6}) {
        // RFC 864: each datagram gets 0-512 characters of the pattern, from the
        // start of one of its lines. A 512-byte request allows all of them
        // under the amplification cap. 20 empty replies in a row would have a
        // chance of 513^-20: an empty string here means no reply.
        size_t replies = 0;
        for (int i = 0; i < 20; ++i) {
            std::string reply = harness::udp_exchange(port("chargen", "udp", family),
                                                      std::string(512, 'r'), family);
            if (reply.empty()) continue;
            ++replies;
            assert_true(reply.size() <= 512);
            size_t first_line = static_cast<size_t>(reply[0] - ' ');
            assert_true(first_line < 95);
            for (size_t at = 0; at < reply.size(); ++at)
                assert_int_equal(reply[at], chargen_at(first_line * 74 + at));
        }
        assert_true(replies > 0);
    }
}

static void qotd_both(void**) {
    for (int family : {AF_INET, AF_INET6}) {
        int fd = harness::tcp_connect(port("qotd", "tcp", family), family);
        std::string quote = harness::recv_until_eof(fd);
        close(fd);
        assert_true(quote.size() > 2 && quote.size() <= 512);
        assert_str_eq(quote.substr(quote.size() - 2), "\r\n");
        std::string udp = harness::udp_exchange(port("qotd", "udp", family), "\n", family);
        assert_true(udp.size() > 2 && udp.size() <= 32);  // the default cap for a 1-byte request
    }
}

static void daytime_both(void**) {
    for (int family : {AF_INET, AF_INET6}) {
        time_t before = wall_seconds();
        int fd = harness::tcp_connect(port("daytime", "tcp", family), family);
        std::string line = harness::recv_until_eof(fd);
        close(fd);
        time_t after = wall_seconds();
        // "Wed Nov 25 09:04:19 2026\r\n", in UTC: the time it was sent.
        assert_int_equal(line.size(), 26);
        tm parsed{};
        assert_non_null(strptime(line.c_str(), "%a %b %e %H:%M:%S %Y", &parsed));
        assert_true(timegm(&parsed) >= before && timegm(&parsed) <= after);
        std::string udp = harness::udp_exchange(port("daytime", "udp", family), "", family);
        assert_int_equal(udp.size(), 26);
    }
}

static void time_both(void**) {
    for (int family : {AF_INET, AF_INET6}) {
        // The time it was sent: between the request and the reply.
        uint32_t before = static_cast<uint32_t>(wall_seconds() + 2208988800LL);
        int fd = harness::tcp_connect(port("time", "tcp", family), family);
        std::string t = harness::recv_until_eof(fd);
        close(fd);
        std::string udp = harness::udp_exchange(port("time", "udp", family), "", family);
        uint32_t after = static_cast<uint32_t>(wall_seconds() + 2208988800LL);
        assert_int_equal(t.size(), 4);
        assert_true(be32(t) - before <= after - before);
        assert_int_equal(udp.size(), 4);
        assert_true(be32(udp) - before <= after - before);
    }
}

static void time_after_2036(void**) {
    // One hour past the wrap the counter has started again from zero: 3600
    // plus the seconds since the offset was taken, between request and reply.
    uint32_t before = uint32_t(3600 + (wall_seconds() - offset_taken_at));
    int fd = harness::tcp_connect(port("clock-2036", "tcp", AF_INET));
    std::string t = harness::recv_until_eof(fd);
    close(fd);
    std::string udp = harness::udp_exchange(port("clock-2036", "udp", AF_INET), "");
    uint32_t after = uint32_t(3600 + (wall_seconds() - offset_taken_at));
    assert_int_equal(t.size(), 4);
    assert_true(be32(t) >= before && be32(t) <= after);
    assert_int_equal(udp.size(), 4);
    assert_true(be32(udp) >= before && be32(udp) <= after);
}

static void status_both(void**) {
    for (int family : {AF_INET, AF_INET6}) {
        int fd = harness::tcp_connect(port("status", "tcp", family), family);
        std::string report = harness::recv_until_eof(fd);
        close(fd);
        assert_non_null(strstr(report.c_str(), "smalld "));
        assert_non_null(strstr(report.c_str(), " up "));
        assert_non_null(strstr(report.c_str(), "echo "));
        assert_non_null(strstr(report.c_str(), "clock-2036"));
        std::string udp =
            harness::udp_exchange(port("status", "udp", family), std::string(100, 's'), family);
        assert_int_equal(udp.size(), 100);  // cut to the cap: 100 bytes x 1.0
        assert_true(report.compare(0, 20, udp, 0, 20) == 0);
    }
}

static std::string shell(const std::string& cmd) {
    int status = -1;
    std::string out = harness::run(cmd, &status);
    assert_int_equal(status, 0);
    return out;
}

// The clients' own timeouts are generous: over TCP they end when the daemon
// closes, over UDP when the reply is in (socat: readbytes= of its known size;
// nc: -W 1, one datagram). A UDP exchange with the defaults would give up
// half a second after the request (socat -t), long before a loaded machine.
static const std::string kSocat = "socat -t 30 -T 30 ";
static const std::string kNcUdp = "nc -u -W 1 -w 30 ";

static void standard_clients(void**) {
    auto p = [](const char* i, const char* proto, int f = AF_INET) {
        return std::to_string(port(i, proto, f));
    };
    assert_str_eq(shell("printf 'ping\\n' | nc -N 127.0.0.1 " + p("echo", "tcp")), "ping\n");
    assert_str_eq(shell("printf 'ping6\\n' | nc -N ::1 " + p("echo", "tcp", AF_INET6)), "ping6\n");
    assert_str_eq(
        shell("printf 'u\\n' | " + kSocat + "- UDP:127.0.0.1:" + p("echo", "udp") + ",readbytes=2"),
        "u\n");
    assert_str_eq(shell("printf 'u6\\n' | " + kSocat +
                        "- UDP6:[::1]:" + p("echo", "udp", AF_INET6) + ",readbytes=3"),
                  "u6\n");
    assert_int_equal(shell("nc -d 127.0.0.1 " + p("daytime", "tcp")).size(), 26);
    assert_str_eq(
        shell(kSocat + "- TCP6:[::1]:" + p("time", "tcp", AF_INET6) + " </dev/null | wc -c"),
        "4\n");
    assert_str_eq(shell("printf x | " + kSocat + "- UDP:127.0.0.1:" + p("time", "udp") +
                        ",readbytes=4 | wc -c"),
                  "4\n");
    std::string lines = shell("nc -d 127.0.0.1 " + p("chargen", "tcp") + " | head -c 740");
    assert_int_equal(lines.size(), 740);
    assert_str_eq(lines.substr(0, 10), " !\"#$%&'()");
    assert_non_null(strstr(shell("nc -d 127.0.0.1 " + p("qotd", "tcp")).c_str(), "\r\n"));
    assert_non_null(strstr(shell("nc -d 127.0.0.1 " + p("status", "tcp")).c_str(), "smalld"));
    // UDP for the rest: each reply within the request's cap. With a known
    // size, socat reads that many bytes; without, nc reads one datagram.
    std::string pad(100, 'x');
    auto udp = [&](const char* instance, size_t size) {
        std::string to = p(instance, "udp");
        return shell("printf '" + pad + "' | " +
                     (size ? kSocat + "- UDP:127.0.0.1:" + to + ",readbytes=" + std::to_string(size)
                           : kNcUdp + "127.0.0.1 " + to));
    };
    assert_int_equal(udp("daytime", 26).size(), 26);
    std::string quote = udp("qotd", 0);
    assert_true(quote.size() > 2 && quote.size() <= 100);
    assert_str_eq(quote.substr(quote.size() - 2), "\r\n");
    std::string report = udp("status", 100);
    assert_int_equal(report.size(), 100);
    assert_str_eq(report.substr(0, 7), "smalld ");
    assert_true(udp("chargen", 0).size() <= 100);
    // discard answers nothing: a short wait shows it (socat's default -t).
    assert_int_equal(
        shell("printf '" + pad + "' | socat -T1 - UDP:127.0.0.1:" + p("discard", "udp")).size(), 0);
}

int main() {
    return run_test_group(
        {cmocka_unit_test(echo_tcp), cmocka_unit_test(echo_udp), cmocka_unit_test(discard_both),
         cmocka_unit_test(chargen_tcp), cmocka_unit_test(chargen_udp), cmocka_unit_test(qotd_both),
         cmocka_unit_test(daytime_both), cmocka_unit_test(time_both),
         cmocka_unit_test(time_after_2036), cmocka_unit_test(status_both),
         cmocka_unit_test(standard_clients)},
        setup, teardown);
}
