// idle_timeout and max_duration on real sessions: an idle session is closed,
// traffic keeps a session alive, max_duration ends even a busy one, and a
// chargen peer that stops reading counts as idle.
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
    assert_true(closed_within(fd, 3000));
    close(fd);
    assert_true(d.wait_for_log("idle_timeout reached"));
}

static void traffic_keeps_a_session_open(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    int fd = harness::tcp_connect(d.port("echo", "tcp"));
    // 1.5 s of traffic every 150 ms: well past the 600 ms idle timeout.
    for (int i = 0; i < 10; ++i) {
        assert_true(harness::send_all(fd, "ping"));
        assert_str_eq(harness::recv_exactly(fd, 4), "ping");
        std::this_thread::sleep_for(150ms);
    }
    assert_true(harness::send_all(fd, "still"));
    assert_str_eq(harness::recv_exactly(fd, 5), "still");
    close(fd);
}

static void max_duration_ends_a_busy_session(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    int fd = harness::tcp_connect(d.port("echo-long", "tcp"));
    bool closed = false;
    for (int i = 0; i < 40 && !closed; ++i) {  // at most 4 s
        if (!harness::send_all(fd, "x", 500)) break;
        closed = harness::recv_exactly(fd, 1, 500) != "x";
        std::this_thread::sleep_for(100ms);
    }
    close(fd);
    assert_true(closed);
    assert_true(d.wait_for_log("max_duration reached"));
}

static void chargen_to_a_stalled_reader_times_out(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    int fd = harness::tcp_connect(d.port("chargen", "tcp"));
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    // Never read: once the buffers are full, nothing moves, and that is idle.
    assert_true(d.wait_for_log("idle_timeout reached", 8000));
    close(fd);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(idle_session_is_closed),
        cmocka_unit_test(traffic_keeps_a_session_open),
        cmocka_unit_test(max_duration_ends_a_busy_session),
        cmocka_unit_test(chargen_to_a_stalled_reader_times_out),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
