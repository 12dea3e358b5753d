// SPDX-License-Identifier: BSD-2-Clause
// idle_timeout and max_duration on real sessions: an idle session is closed,
// traffic keeps a session alive, max_duration ends even a busy one, and a
// chargen peer that stops reading counts as idle. A session is never closed
// before its time (a short wait, which load cannot fail), and the close it is
// owed is waited for with harness::kPatienceMs.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using harness::TestDaemon;
using namespace std::chrono_literals;

static const char* kConfig = R"(
[control]
socket =
[echo]
tcp = 127.0.0.1:0
idle_timeout = 600ms
[echo-long]
type = echo
tcp = 127.0.0.1:0
idle_timeout = 0
max_duration = 1s
[echo-patient]
type = echo
tcp = 127.0.0.1:0
idle_timeout = 2s
[chargen]
tcp = 127.0.0.1:0
idle_timeout = 600ms
)";

// True when the peer closed the connection within `ms`.
static bool closed_within(int fd, int ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    char buf[65536];
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return true;
    }
    return false;
}

static void idle_session_is_closed(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    int fd = harness::tcp_connect(d.port("echo", "tcp"));
    assert_true(fd >= 0);
    assert_false(closed_within(fd, 300));  // not before its time
    assert_true(closed_within(fd, harness::kPatienceMs));
    close(fd);
    assert_true(d.wait_for_log("idle_timeout reached"));
}

static void traffic_keeps_a_session_open(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    int fd = harness::tcp_connect(d.port("echo-patient", "tcp"));
    // 4 s of traffic every 250 ms: twice the 2 s idle timeout, with room for
    // a loaded machine to leave a gap of over a second between two pings.
    for (int i = 0; i < 16; ++i) {
        assert_true(harness::send_all(fd, "ping"));
        assert_str_eq(harness::recv_exactly(fd, 4), "ping");
        std::this_thread::sleep_for(250ms);
    }
    assert_true(harness::send_all(fd, "still"));
    assert_str_eq(harness::recv_exactly(fd, 5), "still");
    close(fd);
}

// Sends one byte and waits for its echo; false when the daemon closed (or
// reset) the session instead. A wait that runs out is a failed test.
static bool echo_one_byte(int fd) {
    if (!harness::send_all(fd, "x")) return false;  // EPIPE/ECONNRESET: closed
    if (!harness::wait_fd(fd, POLLIN, harness::kPatienceMs)) fail_msg("no echo, and no close");
    char c = 0;
    return recv(fd, &c, 1, 0) == 1 && c == 'x';
}

static void max_duration_ends_a_busy_session(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    auto start = std::chrono::steady_clock::now();
    int fd = harness::tcp_connect(d.port("echo-long", "tcp"));
    // Busy every 100 ms until the daemon ends it; a minute of echoes is a hang.
    bool closed = false;
    while (!closed && std::chrono::steady_clock::now() - start < 60s) {
        closed = !echo_one_byte(fd);
        if (!closed) std::this_thread::sleep_for(100ms);
    }
    auto lasted = std::chrono::steady_clock::now() - start;
    close(fd);
    assert_true(closed);
    assert_true(lasted >= 1s);  // not before max_duration
    assert_true(d.wait_for_log("max_duration reached"));
}

static void chargen_to_a_stalled_reader_times_out(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    int fd = protect::connect_non_reader(d.port("chargen", "tcp"));
    // Never read: once the buffers are full, nothing moves, and that is idle.
    assert_true(d.wait_for_log("idle_timeout reached"));
    close(fd);
}

int main() {
    return run_test_group({cmocka_unit_test(idle_session_is_closed),
                           cmocka_unit_test(traffic_keeps_a_session_open),
                           cmocka_unit_test(max_duration_ends_a_busy_session),
                           cmocka_unit_test(chargen_to_a_stalled_reader_times_out)});
}
