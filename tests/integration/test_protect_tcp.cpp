// SPDX-License-Identifier: BSD-2-Clause
// TCP robustness: half-open echo sessions, resets in the middle of a chargen
// stream, clients that vanish, and reloads under echo load.
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <vector>

#include "harness.h"

#include "../cmocka.hpp"

using namespace harness;
using namespace protect;

namespace {

const std::string kConfig = config_head() +
                            "[echo]\ntcp = 127.0.0.1:0\nper_source = 0\nrate = 0/s\n"
                            "[chargen]\ntcp = 127.0.0.1:0\nper_source = 0\nrate = 0/s\n"
                            "[qotd]\ntcp = 127.0.0.1:0\nper_source = 0\nrate = 0/s\n";

std::string pattern(size_t n, unsigned seed) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i) s[i] = char((i * 131 + seed) % 251);
    return s;
}

// Sends `data` while reading the echo, then shuts the write side and reads
// until EOF. Returns what came back; *eof tells whether the daemon closed.
std::string echo_half_open(int fd, const std::string& data, bool* eof,
                           int timeout_ms = kPatienceMs) {
    std::string back;
    size_t sent = 0;
    bool shut = false;
    *eof = false;
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    char buf[65536];
    while (Clock::now() < deadline) {
        if (sent == data.size() && !shut) {
            shutdown(fd, SHUT_WR);
            shut = true;
        }
        pollfd p{fd, short(POLLIN | (shut ? 0 : POLLOUT)), 0};
        if (poll(&p, 1, 100) <= 0) continue;
        if (p.revents & POLLOUT) {
            ssize_t n = send(fd, data.data() + sent, std::min<size_t>(data.size() - sent, 16384),
                             MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) sent += size_t(n);
        }
        if (p.revents & (POLLIN | POLLHUP)) {
            ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n > 0) back.append(buf, size_t(n));
            if (n == 0) {
                *eof = true;
                break;
            }
            if (n < 0 && errno != EAGAIN) break;
        }
    }
    return back;
}

void half_open_echo_returns_everything_then_fin(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    for (size_t size : {size_t(1), size_t(70000), size_t(1) << 20}) {
        int fd = tcp_connect(d.port("echo", "tcp"));
        assert_true(fd >= 0);
        std::string data = pattern(size, unsigned(size));
        bool eof = false;
        std::string back = echo_half_open(fd, data, &eof);
        assert_int_equal(back.size(), data.size());
        assert_true(back == data);
        assert_true(eof);
        close(fd);
    }
    assert_true(wait_tcp_open(d, "echo", 0));
}

void reset_during_chargen_leaves_others_served(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    int watcher = tcp_connect(d.port("chargen", "tcp"));
    assert_true(recv_exactly(watcher, 74).size() == 74);
    for (int i = 0; i < 20; ++i) {
        int fd = tcp_connect(d.port("chargen", "tcp"));
        assert_true(fd >= 0);
        // Let the daemon fill the socket, then reset it mid-write.
        assert_true(recv_exactly(fd, 4096).size() == 4096);
        linger lg{1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        close(fd);
    }
    std::string more = recv_exactly(watcher, 100000);
    assert_int_equal(more.size(), 100000);
    close(watcher);
    assert_true(served(d.port("echo", "tcp")));
    assert_true(wait_tcp_open(d, "chargen", 0));
    assert_int_equal(waitpid(d.pid(), nullptr, WNOHANG), 0);
}

void vanishing_clients_are_cleaned_up(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    std::vector<int> fds;
    for (int i = 0; i < 50; ++i) {
        const char* instance = i % 3 == 0 ? "echo" : i % 3 == 1 ? "chargen" : "qotd";
        int fd = tcp_connect(d.port(instance, "tcp"));
        assert_true(fd >= 0);
        if (i % 3 == 0) send_all(fd, pattern(200000, unsigned(i)), 200);  // never reads
        fds.push_back(fd);
    }
    // Half of them reset, half just close with unread data.
    for (size_t i = 0; i < fds.size(); ++i) {
        if (i % 2) {
            linger lg{1, 0};
            setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(fds[i]);
    }
    assert_true(wait_tcp_open(d, "echo", 0));
    assert_true(wait_tcp_open(d, "chargen", 0));
    assert_true(wait_tcp_open(d, "qotd", 0));
    assert_true(served(d.port("echo", "tcp")));
}

void reload_under_echo_load_loses_nothing(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    constexpr int kClients = 8, kRounds = 60;
    constexpr size_t kChunk = 8192;
    std::vector<int> fds;
    for (int i = 0; i < kClients; ++i) {
        fds.push_back(tcp_connect(d.port("echo", "tcp")));
        assert_true(fds.back() >= 0);
    }
    int reloads = 0;
    uint64_t verified = 0;
    for (int round = 0; round < kRounds; ++round) {
        std::vector<std::string> sent;
        for (int i = 0; i < kClients; ++i) {
            sent.push_back(pattern(kChunk, unsigned(round * kClients + i)));
            assert_true(send_all(fds[size_t(i)], sent.back()));
        }
        // Reload while those bytes are in flight.
        if (round % 10 == 5) {
            d.signal(SIGHUP);
            ++reloads;
        }
        for (int i = 0; i < kClients; ++i) {
            std::string back = recv_exactly(fds[size_t(i)], kChunk);
            assert_int_equal(back.size(), kChunk);
            assert_true(back == sent[size_t(i)]);
            verified += back.size();
        }
    }
    assert_true(d.wait_for_log("reload done"));
    assert_true(wait_tcp_open(d, "echo", kClients));
    for (int fd : fds) close(fd);
    size_t done = 0;
    eventually([&] { return (done = count(d.log(), "reload done")) >= size_t(reloads); });
    print_message("%d reloads, %llu bytes echoed and verified on %d sessions\n", reloads,
                  static_cast<unsigned long long>(verified), kClients);
    assert_int_equal(done, reloads);
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(half_open_echo_returns_everything_then_fin),
                           cmocka_unit_test(reset_during_chargen_leaves_others_served),
                           cmocka_unit_test(vanishing_clients_are_cleaned_up),
                           cmocka_unit_test(reload_under_echo_load_loses_nothing)});
}
