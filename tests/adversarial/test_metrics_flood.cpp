// SPDX-License-Identifier: BSD-2-Clause
// A slow-header flood against the metrics endpoint: hundreds of connections
// from 16 sources, each dribbling one header byte at a time. The endpoint may
// hold only its share of the descriptors, echo, daytime and the control socket
// keep working meanwhile, and a dribbler is cut at the whole-request deadline
// however often it sends a byte.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "harness.h"
#include "http_server.h"

#include "../cmocka.hpp"

using namespace harness;
using namespace protect;
using harness::open_fds;
using smalld::HttpServer;

namespace {

constexpr int kSources = 16;
constexpr int kPerSource = 40;
constexpr int kDeadlineS = HttpServer::kRequestDeadlineMs / 1000;

struct Dribbler {
    int fd = -1;
    Clock::time_point opened;
    Clock::time_point closed;
    size_t sent = 0;
};

// True once the daemon closed the connection (EOF, reset, or a reply).
bool peer_closed(int fd) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) return false;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
        // A refusal (503) comes with a close; read on to see it.
        while ((n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0) {
        }
        return n == 0 || (n < 0 && errno != EAGAIN);
    }
    return n == 0 || (n < 0 && errno != EAGAIN);
}

bool daytime_works(const TestDaemon& d) {
    int fd = tcp_connect(d.port("daytime", "tcp"));
    if (fd < 0) return false;
    std::string line = recv_until_eof(fd, 4096);
    close(fd);
    return line.size() > 10;
}

bool smallctl_status_works(const TestDaemon& d) {
    int status = -1;
    smallctl(d, "status", &status);
    return status == 0;
}

void slow_header_flood_is_capped_and_cut(void**) {
    // 512 descriptors: without a cap the flood takes them all.
    TestDaemon d(config_head() +
                     "[echo]\ntcp = 127.0.0.1:0\nper_source = 0\nrate = 0/s\n"
                     "[daytime]\ntcp = 127.0.0.1:0\nper_source = 0\nrate = 0/s\n"
                     "[metrics]\nlisten = 127.0.0.1:0\n",
                 {}, {}, {"prlimit", "--nofile=512:512"});
    assert_true(d.started());
    uint16_t mport = metrics_port(d);
    assert_true(mport != 0);
    int baseline = open_fds(d.pid());
    assert_true(baseline > 0);

    const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\nUser-Agent: dribble\r\n";
    std::vector<Dribbler> flood;
    for (int s = 0; s < kSources; ++s) {
        std::string from = "127.0.0." + std::to_string(10 + s);
        for (int i = 0; i < kPerSource; ++i) {
            Dribbler dr;
            dr.fd = tcp_connect_from(from.c_str(), "127.0.0.1", mport, 300);
            dr.opened = Clock::now();
            if (dr.fd >= 0) flood.push_back(dr);
        }
    }
    print_message("metrics flood: %zu of %d connections completed\n", flood.size(),
                  kSources * kPerSource);
    assert_true(flood.size() >= size_t(kSources * kPerSource / 4));

    // Dribble one byte to every connection each 500 ms until the daemon cut
    // them all (a hang guard of kPatienceMs beyond the deadline); check the
    // rest of the daemon on the way.
    int most_fds = 0;
    bool checked = false, echo_ok = false, daytime_ok = false, control_ok = false;
    auto start = Clock::now();
    auto stop =
        start + std::chrono::seconds(kDeadlineS) + std::chrono::milliseconds(harness::kPatienceMs);
    auto open_left = [&] {
        return std::any_of(flood.begin(), flood.end(),
                           [](const Dribbler& dr) { return dr.fd >= 0; });
    };
    while (Clock::now() < stop && (!checked || open_left())) {
        for (auto& dr : flood) {
            if (dr.fd < 0) continue;
            if (peer_closed(dr.fd)) {
                dr.closed = Clock::now();
                close(dr.fd);
                dr.fd = -1;
                continue;
            }
            char byte = request[dr.sent % request.size()];
            if (send(dr.fd, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1) ++dr.sent;
        }
        most_fds = std::max(most_fds, open_fds(d.pid()));
        if (!checked && Clock::now() - start > std::chrono::seconds(2)) {
            checked = true;
            echo_ok = protect::served(d.port("echo", "tcp"));
            daytime_ok = daytime_works(d);
            control_ok = smallctl_status_works(d);
            most_fds = std::max(most_fds, open_fds(d.pid()));
        }
        usleep(500'000);
    }
    print_message(
        "metrics flood: the daemon held at most %d descriptors (%d before the flood, "
        "limit 512, cap %zu)\n",
        most_fds, baseline, HttpServer::kMaxConnections);
    print_message("metrics flood: during it echo %s, daytime %s, smallctl status %s\n",
                  echo_ok ? "worked" : "FAILED", daytime_ok ? "worked" : "FAILED",
                  control_ok ? "worked" : "FAILED");
    assert_true(echo_ok && daytime_ok && control_ok);
    assert_true(most_fds <= baseline + int(HttpServer::kMaxConnections) + 8);

    // Every dribbler was cut: none outlived the deadline by more than 5 s,
    // though each sent a byte every 500 ms.
    int cut_at_deadline = 0, still_open = 0;
    double longest = 0;
    for (auto& dr : flood) {
        if (dr.fd >= 0) {
            ++still_open;
            close(dr.fd);
            continue;
        }
        double lived = std::chrono::duration<double>(dr.closed - dr.opened).count();
        longest = std::max(longest, lived);
        cut_at_deadline += lived >= kDeadlineS - 1;
    }
    print_message(
        "metrics flood: %d still open %d s after the deadline, %d cut at the deadline, "
        "longest %.1f s\n",
        still_open, harness::kPatienceMs / 1000, cut_at_deadline, longest);
    assert_int_equal(still_open, 0);
    assert_true(cut_at_deadline > 0);
    assert_true(longest <= kDeadlineS + 5);
    // Refusals and cuts are counted, and the endpoint serves again.
    std::string body = protect::http_get(mport, "/metrics");
    assert_non_null(strstr(body.c_str(), "smalld_metrics_connections_refused_total"));
    assert_non_null(strstr(body.c_str(), "smalld_metrics_requests_timed_out_total"));
    assert_true(protect::served(d.port("echo", "tcp")));
}

// One source may hold only its share of the endpoint: others still get in.
void one_source_cannot_take_every_slot(void**) {
    TestDaemon d(config_head() + "[metrics]\nlisten = 127.0.0.1:0\n");
    assert_true(d.started());
    uint16_t mport = metrics_port(d);
    std::vector<int> held;
    for (size_t i = 0; i < HttpServer::kMaxConnections; ++i) {
        int fd = tcp_connect_from("127.0.0.2", "127.0.0.1", mport, harness::kPatienceMs);
        if (fd >= 0 && send_all(fd, "G")) held.push_back(fd);
    }
    // Wait until every connection beyond the per-source share is refused,
    // then a moment more to see that no further one is.
    size_t refused = 0;
    auto count_refused = [&] {
        refused = 0;
        for (int fd : held) refused += peer_closed(fd);
        return held.size() - refused <= HttpServer::kMaxPerSource;
    };
    if (!eventually(count_refused))
        print_message("one source: refusals stopped at %zu of %zu for %d ms\n", refused,
                      held.size() - HttpServer::kMaxPerSource, harness::kPatienceMs);
    usleep(harness::kQuietMs * 1000);
    count_refused();
    print_message("one source: %zu of %zu connections refused (per-source cap %zu)\n", refused,
                  held.size(), HttpServer::kMaxPerSource);
    assert_int_equal(held.size() - refused, HttpServer::kMaxPerSource);
    // Another source scrapes as usual.
    int fd = tcp_connect_from("127.0.0.3", "127.0.0.1", mport, harness::kPatienceMs);
    assert_true(fd >= 0);
    assert_true(send_all(fd, "GET /metrics HTTP/1.0\r\n\r\n"));
    std::string reply = recv_until_eof(fd, 1 << 20);
    close(fd);
    assert_true(reply.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
    for (int h : held) close(h);
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(slow_header_flood_is_capped_and_cut),
                           cmocka_unit_test(one_source_cannot_take_every_slot)});
}
