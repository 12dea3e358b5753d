// SPDX-License-Identifier: BSD-2-Clause
// Resource exhaustion: accept pauses (not spins) when out of descriptors,
// one flooding client is stopped at the high-water mark, and the reject log
// is rate-limited. Many clients that never read: adversarial/test_output_buffer.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include "harness.h"

#include "../cmocka.hpp"

using namespace harness;
using namespace protect;

namespace {

// CPU time (user + system) of a process in clock ticks.
long cpu_ticks(pid_t pid) {
    std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    size_t at = stat.rfind(')');
    if (at == std::string::npos) return -1;
    std::istringstream fields(stat.substr(at + 2));
    std::string skip;
    for (int i = 0; i < 11; ++i) fields >> skip;  // state .. cmajflt
    long utime = 0, stime = 0;
    fields >> utime >> stime;
    return utime + stime;
}

// Reads every connection until it has answered: `size` bytes, or all it
// sends until EOF when `size` is 0. Returns how many answers begin with
// `good`. Waits for all of them; once `enough` are good, stops waiting for the
// rest after 2 s without progress (some may never be served, and the test
// asks only for `enough`). Before that, only a hang ends it.
int count_answered(const std::vector<int>& fds, size_t size, const std::string& good, int enough) {
    std::vector<std::string> got(fds.size());
    std::vector<bool> done(fds.size());
    auto good_ones = [&] {
        int n = 0;
        for (size_t i = 0; i < fds.size(); ++i) n += done[i] && got[i].rfind(good, 0) == 0;
        return n;
    };
    auto last_progress = Clock::now();
    for (;;) {
        std::vector<pollfd> polls;
        std::vector<size_t> which;
        for (size_t i = 0; i < fds.size(); ++i)
            if (!done[i]) {
                polls.push_back({fds[i], POLLIN, 0});
                which.push_back(i);
            }
        if (polls.empty()) break;
        auto quiet = Clock::now() - last_progress;
        if (quiet > std::chrono::milliseconds(kPatienceMs) ||
            (good_ones() >= enough && quiet > std::chrono::seconds(2)))
            break;
        if (poll(polls.data(), polls.size(), 100) <= 0) continue;
        for (size_t k = 0; k < polls.size(); ++k) {
            if (!polls[k].revents) continue;
            size_t i = which[k];
            char buf[65536];
            ssize_t n = recv(fds[i], buf, sizeof buf, MSG_DONTWAIT);
            if (n < 0 && errno == EAGAIN) continue;
            last_progress = Clock::now();
            if (n > 0) got[i].append(buf, size_t(n));
            done[i] = n <= 0 || (size > 0 && got[i].size() >= size);
        }
    }
    return good_ones();
}

void emfile_pauses_accept_and_recovers(void**) {
    // 40 descriptors: the daemon caps its sessions at 32, but its own
    // descriptors (log, loop, listeners) run out before that. The metrics
    // endpoint (libevent's own listener) must pause as well, not spin.
    TestDaemon d(config_head() + "[echo]\ntcp = 127.0.0.1:0\nper_source = 0\nrate = 0/s\n" +
                     "[metrics]\nlisten = 127.0.0.1:0\n",
                 {}, {}, {"prlimit", "--nofile=40:40"});
    assert_true(d.started());
    auto start = Clock::now();
    uint16_t port = d.port("echo", "tcp");
    uint16_t mport = metrics_port(d);
    assert_true(mport != 0);
    std::vector<int> fds;
    for (int i = 0; i < 45; ++i) {
        int fd = tcp_connect(port);  // completes in the backlog even when not accepted
        assert_true(fd >= 0);
        fds.push_back(fd);
    }
    assert_true(d.wait_for_log("pausing accept for 1s"));
    std::vector<int> scrapers;
    for (int i = 0; i < 3; ++i) {
        int fd = tcp_connect(mport);
        assert_true(fd >= 0);
        assert_true(send_all(fd, "GET /metrics HTTP/1.0\r\n\r\n"));
        scrapers.push_back(fd);
    }
    assert_true(d.wait_for_log("metrics: accept on "));  // it met EMFILE too
    // Paused, not spinning: the daemon sits nearly idle while the backlog waits.
    size_t log_before = d.log_size();
    long before = cpu_ticks(d.pid());
    usleep(2'000'000);
    long used = cpu_ticks(d.pid()) - before;
    size_t logged = d.log_size() - log_before;
    print_message(
        "EMFILE: daemon used %ld ticks of CPU and logged %zu bytes in 2 s while out of "
        "descriptors\n",
        used, logged);
    assert_true(used >= 0 && used < 50);
    assert_true(logged < 4096);
    // Free some descriptors: the waiting connections get served.
    for (int i = 0; i < 20; ++i) close(fds[size_t(i)]);
    std::vector<int> waiting(fds.begin() + 20, fds.end());
    for (int fd : waiting) assert_true(send_all(fd, "ping\n"));
    int served = count_answered(waiting, 5, "ping\n", 15);
    print_message("EMFILE: %d of %zu waiting clients served after descriptors were freed\n", served,
                  waiting.size());
    assert_true(served >= 15);
    for (int fd : waiting) close(fd);
    int scraped = count_answered(scrapers, 0, "HTTP/1.0 200 OK", 1);
    for (int fd : scrapers) close(fd);
    print_message("EMFILE: %d of %zu waiting scrapes answered\n", scraped, scrapers.size());
    assert_true(scraped >= 1);
    // A failed accept, and the pause after it, is counted once per second as
    // reason fd, and logged at most 5 times in 10 s.
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    long pauses = stat(d, "echo", "tcp", "conn.rejected_total", "fd");
    size_t pause_lines = count(d.log(), "echo: accept on ");
    print_message("EMFILE: %ld accept pauses in %.1f s, %zu logged\n", pauses, seconds,
                  pause_lines);
    assert_true(pauses >= 2 && pauses <= long(seconds) + 1);
    assert_true(pause_lines >= 1 && pause_lines <= 5);
}

void one_flooding_client_is_stopped_at_the_high_water_mark(void**) {
    TestDaemon d(config_head() + "[echo]\ntcp = 127.0.0.1:0\nper_source = 0\nrate = 0/s\n");
    assert_true(d.started());
    long baseline = d.rss_kib();
    int fd = tcp_connect_from("127.0.0.1", "127.0.0.1", d.port("echo", "tcp"), kPatienceMs, 4096);
    assert_true(fd >= 0);
    // Kernel buffers take a few MiB; past them, only a daemon that keeps reading
    // (and queueing) lets the client go on.
    constexpr uint64_t kLimit = uint64_t(96) << 20;
    std::string chunk(1 << 16, 'f');
    uint64_t sent = 0;
    auto deadline = Clock::now() + std::chrono::seconds(8);
    auto last_progress = Clock::now();
    while (sent < kLimit && Clock::now() < deadline &&
           Clock::now() - last_progress < std::chrono::milliseconds(1500)) {
        ssize_t n = send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            sent += uint64_t(n);
            last_progress = Clock::now();
        } else {
            wait_fd(fd, POLLOUT, 100);
        }
    }
    long grown = d.rss_kib() - baseline;
    print_message(
        "one non-reading client: %llu KiB accepted before it blocked, daemon RSS +%ld "
        "KiB\n",
        static_cast<unsigned long long>(sent >> 10), grown);
    assert_true(sent < kLimit / 2);
    assert_true(grown < 8 * 1024);
    close(fd);
}

// The rejection log admits 10 lines per 10 s window (session_log.cpp: reject_log)
// and summarises the rest when a window ends.
constexpr size_t kRejectBurst = 10;

void reject_log_is_rate_limited_and_summarised(void**) {
    TestDaemon d(config_head() +
                 "[denied]\ntype = echo\ntcp = 127.0.0.1:0\nudp = 127.0.0.1:0\n"
                 "allow = 10.0.0.0/8\n");
    assert_true(d.started());
    int u = udp_socket("127.0.0.1");
    socklen_t len;
    sockaddr_storage dst = make_addr("127.0.0.1", d.port("denied", "udp"), &len);
    long flood = 0;
    for (int i = 0; i < 300; ++i) {
        sendto(u, "x", 1, 0, reinterpret_cast<sockaddr*>(&dst), len);
        ++flood;
        if (i % 30 == 0) {
            int fd = tcp_connect(d.port("denied", "tcp"));
            if (fd >= 0) close(fd);
            flood += fd >= 0;
        }
        // Paced by the daemon's count, so the kernel's receive buffer never
        // overflows: every datagram must reach smalld for the exact count.
        if (i % 20 == 19) assert_true(eventually([&] { return refused(d, "denied") == flood; }));
    }
    close(u);
    assert_int_equal(flood, 300 + 10);
    assert_true(eventually([&] { return refused(d, "denied") == flood; }));
    // The flood has stopped; the summary of its last window still comes once
    // that window ends: every rejection is logged or counted in a summary.
    long logged = 0, suppressed = 0;
    size_t most_in_a_window = 0;
    auto tally = [&] {
        std::istringstream lines(d.log());
        std::string line;
        size_t in_window = 0;
        logged = suppressed = 0;
        most_in_a_window = 0;
        while (std::getline(lines, line)) {
            if (line.find("denied: refused ") != std::string::npos) {
                ++logged;
                most_in_a_window = std::max(most_in_a_window, ++in_window);
            }
            size_t at = line.find("rejections: suppressed ");
            if (at != std::string::npos) {
                suppressed += atol(line.c_str() + at + 23);
                in_window = 0;
            }
        }
        return logged + suppressed == flood;
    };
    bool accounted = eventually(tally, kPatienceMs + 10'000);
    print_message("%ld rejections: %ld logged (at most %zu in a window), %ld suppressed\n", flood,
                  logged, most_in_a_window, suppressed);
    assert_true(accounted);
    assert_true(logged >= 1 && suppressed > 0);
    assert_true(most_in_a_window <= kRejectBurst);
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(emfile_pauses_accept_and_recovers),
                           cmocka_unit_test(one_flooding_client_is_stopped_at_the_high_water_mark),
                           cmocka_unit_test(reject_log_is_rate_limited_and_summarised)});
}
