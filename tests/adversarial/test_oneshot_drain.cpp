// SPDX-License-Identifier: BSD-2-Clause
// A one-shot service (time, daytime, qotd, status) answers and closes at
// once; a client that sent something first (a stray request line, a probe
// that always writes) must still get the whole reply and an orderly end of
// stream (FIN), never a reset: closing a socket with unread input makes the
// kernel send RST, which can destroy the reply still in flight. The daemon
// drains what the peer sent with one read before it closes, and when that
// is not all (a large request), shuts its write side and discards input
// until the peer closes.
//
// The daemon is stopped (SIGSTOP) while the clients connect and send, so
// every request is in the kernel before the daemon accepts: the order is
// the one under test, not a race.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace harness;

namespace {

const char* kConfig = R"(
[daemon]
log_level = info
[control]
socket =
[time]
tcp = 127.0.0.1:0
[daytime]
tcp = 127.0.0.1:0
[qotd]
tcp = 127.0.0.1:0
[status]
tcp = 127.0.0.1:0
allow = 127.0.0.0/8
)";

constexpr int kClients = 16;

struct Outcome {
    std::string reply;
    int end = 0;  // 0: end of stream (FIN); otherwise the errno that ended it
};

// Reads until the stream ends; a hang is reported, not waited out.
Outcome read_to_end(int fd) {
    Outcome o;
    char buf[4096];
    for (;;) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, kPatienceMs) != 1) {
            o.end = ETIMEDOUT;
            return o;
        }
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            o.reply.append(buf, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        o.end = n == 0 ? 0 : errno;
        return o;
    }
}

// Connects kClients clients to `instance` while the daemon is stopped, each
// sending `request` bytes first; returns what each got.
std::vector<Outcome> query_with_requests(TestDaemon& d, const char* instance, size_t request) {
    uint16_t port = d.port(instance, "tcp");
    assert_true(port > 0);
    std::vector<int> fds;
    std::string bytes(request, 'q');
    d.signal(SIGSTOP);
    for (int i = 0; i < kClients; ++i) {
        int fd = tcp_connect(port);
        if (fd < 0) break;
        // Whatever fits in the daemon's receive buffer before it runs again.
        ssize_t sent = send(fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        (void)sent;
        fds.push_back(fd);
    }
    d.signal(SIGCONT);
    assert_int_equal(fds.size(), kClients);
    std::vector<Outcome> out;
    for (int fd : fds) {
        out.push_back(read_to_end(fd));
        close(fd);
    }
    return out;
}

void check(TestDaemon& d, const char* instance, size_t request, size_t expected_size) {
    for (const Outcome& o : query_with_requests(d, instance, request)) {
        if (o.end != 0)
            fail_msg(
                "%s, %zu request bytes: the stream ended with %s after %zu reply bytes, "
                "not an orderly close",
                instance, request, strerror(o.end), o.reply.size());
        if (expected_size)
            assert_int_equal(o.reply.size(), expected_size);
        else
            assert_true(!o.reply.empty());
    }
}

void small_requests(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    check(d, "time", 7, 4);
    check(d, "daytime", 7, 26);
    check(d, "qotd", 7, 0);
    check(d, "status", 7, 0);
}

// More than one read takes: the daemon must keep reading until the peer is
// done rather than close on what is left.
void large_requests(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    check(d, "time", 200 * 1024, 4);
    check(d, "status", 200 * 1024, 0);
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(small_requests), cmocka_unit_test(large_requests)});
}
