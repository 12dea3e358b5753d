// SPDX-License-Identifier: BSD-2-Clause
// Long-lived readers as an attack: live page event streams (/events) and
// control socket monitors whose readers never read. On a quiet daemon they
// must not hold every stream slot (a newcomer gets a stream, a source gets
// only its share); once output waits for them and none leaves for the
// bound, they are closed and counted, while a reader that reads keeps its
// stream.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "eviction.h"
#include "harness.h"
#include "live_stream.h"

#include "../cmocka.hpp"

using namespace harness;
using Ctl = harness::ControlClient;
using json = nlohmann::json;
using smalld::DrainWatch;
using smalld::LiveStream;

namespace {

const std::string kConfig = protect::config_head() +
                            "[echo]\ntcp = 127.0.0.1:0\nper_source = 0\nrate = 0/s\n"
                            "[metrics]\nlisten = 127.0.0.1:0\n";

// A subscriber from `from` with a small receive buffer that reads the reply's
// headers and then nothing: its status line, and the socket in `*fd`.
std::string subscribe(const std::string& from, uint16_t port, int* fd) {
    *fd = protect::tcp_connect_from(from.c_str(), "127.0.0.1", port, kPatienceMs, 2048);
    if (*fd < 0) return "";
    if (!send_all(*fd, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n")) return "";
    std::string head;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kPatienceMs);
    // Byte by byte: nothing of the stream beyond the headers is read.
    while (head.find("\r\n\r\n") == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
        if (!wait_fd(*fd, POLLIN, kPatienceMs)) break;
        char c;
        if (recv(*fd, &c, 1, 0) != 1) break;
        head += c;
    }
    return head.substr(0, head.find("\r\n"));
}

bool ok(const std::string& status_line) {
    return status_line.rfind("HTTP/1.1 200", 0) == 0;
}

// True once the daemon closed (or reset) `fd`, seen without reading from it.
bool closed(int fd) {
    pollfd p{fd, POLLRDHUP, 0};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

void make_events(const TestDaemon& d, int sessions) {
    for (int i = 0; i < sessions; ++i) {
        int fd = tcp_connect(d.port("echo", "tcp"));
        if (fd >= 0) close(fd);
    }
}

double metric(uint16_t port, const std::string& name) {
    std::string text = protect::http_get(port, "/metrics");
    size_t at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1 : atof(text.c_str() + at + name.size() + 2);
}

// Every slot held by subscribers that never read, on a quiet daemon: a
// subscriber from a fresh address still gets a stream, every time.
void newcomer_gets_a_stream(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    uint16_t port = protect::metrics_port(d);
    std::vector<int> held;
    int accepted = 0;
    for (size_t i = 0; i < LiveStream::kMaxStreams; ++i) {
        int fd = -1;
        std::string from = "127.0.1." + std::to_string(i / LiveStream::kMaxStreamsPerSource + 1);
        accepted += ok(subscribe(from, port, &fd));
        if (fd >= 0) held.push_back(fd);
    }
    print_message("quiet daemon: %d of %zu subscribers that never read got a stream\n", accepted,
                  LiveStream::kMaxStreams);
    assert_int_equal(accepted, int(LiveStream::kMaxStreams));
    int served = 0;
    for (int i = 0; i < 10; ++i) {
        int fd = -1;
        std::string status = subscribe("127.0.2." + std::to_string(i + 1), port, &fd);
        if (!ok(status)) print_message("newcomer %d: \"%s\"\n", i, status.c_str());
        served += ok(status);
        if (fd >= 0) held.push_back(fd);
    }
    print_message("quiet daemon, every stream slot held: %d of 10 newcomers got a stream\n",
                  served);
    assert_int_equal(served, 10);
    for (int fd : held) close(fd);
}

// One address gets its share of the streams, and no more; others still get
// theirs.
void one_source_gets_its_share(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    uint16_t port = protect::metrics_port(d);
    std::vector<int> held;
    int accepted = 0;
    std::string refusal;
    for (size_t i = 0; i < LiveStream::kMaxStreamsPerSource + 3; ++i) {
        int fd = -1;
        std::string status = subscribe("127.0.3.1", port, &fd);
        if (ok(status))
            ++accepted;
        else
            refusal = status;
        if (fd >= 0) held.push_back(fd);
    }
    print_message("one address: %d of %zu streams accepted (share %zu), then \"%s\"\n", accepted,
                  LiveStream::kMaxStreamsPerSource + 3, LiveStream::kMaxStreamsPerSource,
                  refusal.c_str());
    assert_int_equal(accepted, int(LiveStream::kMaxStreamsPerSource));
    assert_true(refusal.rfind("HTTP/1.1 503", 0) == 0);
    int fd = -1;
    assert_true(ok(subscribe("127.0.3.2", port, &fd)));
    close(fd);
    for (int h : held) close(h);
}

// Subscribers that never read while events trickle (far less than the 256
// KiB that closes a reader that falls behind): each is closed once none of
// its output has left for the bound, and counted; one that reads is kept.
void stalled_streams_are_closed(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    uint16_t port = protect::metrics_port(d);
    std::vector<int> stalled;
    for (int i = 0; i < 8; ++i) {
        int fd = -1;
        assert_true(ok(subscribe("127.0.4." + std::to_string(i / 2 + 1), port, &fd)));
        stalled.push_back(fd);
    }
    int reader = -1;
    assert_true(ok(subscribe("127.0.5.1", port, &reader)));
    size_t left = stalled.size(), sessions = 0;
    bool reader_closed = false;
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(DrainWatch::kStallMs + kPatienceMs);
    while (left > 0 && std::chrono::steady_clock::now() < deadline) {
        make_events(d, 1);
        ++sessions;
        char buf[65536];
        while (recv(reader, buf, sizeof buf, MSG_DONTWAIT) > 0) {
        }
        reader_closed = reader_closed || closed(reader);
        left = 0;
        for (int fd : stalled) left += !closed(fd);
        usleep(200'000);
    }
    print_message(
        "stalled streams: %zu of %zu still open after %zu sessions' events (bound %llds + %ds)\n",
        left, stalled.size(), sessions, static_cast<long long>(DrainWatch::kStallMs / 1000),
        kPatienceMs / 1000);
    assert_int_equal(left, 0);
    assert_false(reader_closed || closed(reader));
    double counted = metric(port, "smalld_metrics_streams_stalled_total");
    print_message("stalled streams: smalld_metrics_streams_stalled_total %.0f\n", counted);
    assert_true(counted >= double(stalled.size()));
    for (int fd : stalled) close(fd);
    close(reader);
}

// Monitors that never read: once their queue is full and nothing leaves for
// the bound they are closed and counted; a monitor that reads is kept.
void stalled_monitors_are_closed(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    std::vector<std::unique_ptr<Ctl>> stalled;
    for (int i = 0; i < 2; ++i) {
        stalled.push_back(std::make_unique<Ctl>(d.control_socket()));
        assert_true(stalled.back()->request("monitor")["ok"] == true);
    }
    Ctl reader(d.control_socket());
    assert_true(reader.request("monitor")["ok"] == true);
    size_t left = stalled.size(), sessions = 0;
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::milliseconds(DrainWatch::kStallMs + kPatienceMs);
    while (left > 0 && std::chrono::steady_clock::now() < deadline) {
        make_events(d, 50);
        sessions += 50;
        char buf[65536];
        while (recv(reader.fd(), buf, sizeof buf, MSG_DONTWAIT) > 0) {
        }
        left = 0;
        for (auto& m : stalled) left += !closed(m->fd());
        usleep(100'000);
    }
    print_message("stalled monitors: %zu of %zu still open after %zu sessions' events\n", left,
                  stalled.size(), sessions);
    assert_int_equal(left, 0);
    assert_false(closed(reader.fd()));
    Ctl admin(d.control_socket());
    json stats = admin.request("stats");
    uint64_t counted =
        stats["data"].value("/control/monitors_stalled_total"_json_pointer, uint64_t(0));
    print_message("stalled monitors: control.monitors_stalled_total %llu\n",
                  static_cast<unsigned long long>(counted));
    assert_true(counted >= stalled.size());
}

}  // namespace

int main() {
    if (!protect::enter_private_network()) return 77;
    signal(SIGPIPE, SIG_IGN);
    return run_test_group({cmocka_unit_test(newcomer_gets_a_stream),
                           cmocka_unit_test(one_source_gets_its_share),
                           cmocka_unit_test(stalled_streams_are_closed),
                           cmocka_unit_test(stalled_monitors_are_closed)});
}
