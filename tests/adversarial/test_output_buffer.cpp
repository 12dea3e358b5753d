// SPDX-License-Identifier: BSD-2-Clause
// output_buffer is a bound at every size. Echo clients that send and never
// read make every session queue as much as the daemon lets it; each session
// must then hold at most output_buffer bytes (below 64 KiB too, where the
// daemon's 64 KiB reads once overshot the mark), and the daemon's memory must
// grow with the bytes it holds, at most 1.25 times them plus a fixed cost per
// session, where a doubling buffer kept the blocks it outgrew. The default
// mark is 64 KiB. Chargen clients that never read, where the daemon would
// produce forever, cost at most a queue each too, and a reader is still
// served beside them.
//
// Runs in a network namespace of its own: small send buffers and a small
// receive buffer on the client side, so that what the clients do not read
// piles up in the daemon and not in the kernel, while the daemon's receive
// buffers stay large enough for a single read to overshoot a small mark.
// Without root it cannot, and exits 77 (skipped).
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace harness;
using namespace protect;

namespace {

constexpr long kAllocatorFactor =
    harness::kSanitized ? 2 : 1;  // redzones, shadow memory, quarantine
// What a session may cost besides its queue: the session itself and its
// bookkeeping (about 450 bytes). A queue's partly used chunks, at most one at
// each end, fit in the quarter allowed over the bytes queued when a queue
// holds 16 KiB or more, and at 4k a queue is a single chunk.
constexpr long kPerSessionBytes = 1024;
// What the process may hold besides: the free chunks it keeps for reuse
// (1 MiB at most), the shared 64 KiB read buffer, the allocator's slack.
constexpr long kFixedBytes = 2 * 1024 * 1024;
// What a stuck chargen session may cost: its 64 KiB queue (in 4 KiB chunks,
// at most one more than its bytes need), a quarter of it for the allocator,
// plus the session itself, its events and socket bookkeeping.
constexpr long kChargenSessionKiB = 64 * 5 / 4 + 8;

struct Queued {
    uint64_t total = 0;
    uint64_t largest = 0;
    size_t sessions = 0;
};

// What every echo session holds: what it read and has not written back.
Queued queued_by_sessions(const TestDaemon& d) {
    auto reply = smallctl_json(d, "conns");
    Queued q;
    if (reply.is_discarded() || !reply["data"].is_array()) return q;
    for (const auto& s : reply["data"]) {
        if (s["instance"] != "echo") continue;
        uint64_t held = s["bytes_in"].get<uint64_t>() - s["bytes_out"].get<uint64_t>();
        q.total += held;
        q.largest = std::max(q.largest, held);
        ++q.sessions;
    }
    return q;
}

// Every client sends until it has sent a queue's worth (the daemon takes
// that much from each, however long a loaded machine needs) and then until
// nobody could send for ten passes in a row; `limit` bytes at most. A minute
// without progress is a hang.
uint64_t send_until_stuck(std::vector<int>& fds, uint64_t mark, uint64_t limit) {
    std::vector<uint64_t> sent(fds.size());
    std::string chunk(65536, 'q');
    uint64_t total = 0;
    size_t behind = fds.size();
    int idle_passes = 0;
    auto last_progress = Clock::now();
    while ((behind > 0 || idle_passes < 10) &&
           Clock::now() - last_progress < std::chrono::seconds(60)) {
        uint64_t this_pass = 0;
        behind = 0;
        for (size_t i = 0; i < fds.size(); ++i) {
            if (sent[i] < limit) {
                size_t want = size_t(std::min<uint64_t>(chunk.size(), limit - sent[i]));
                ssize_t n = send(fds[i], chunk.data(), want, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (n > 0) sent[i] += uint64_t(n), this_pass += uint64_t(n);
            }
            behind += sent[i] < mark;
        }
        total += this_pass;
        idle_passes = this_pass ? 0 : idle_passes + 1;
        if (this_pass) last_progress = Clock::now();
        usleep(20'000);
    }
    if (behind > 0)
        print_message(
            "%zu clients could not send %llu bytes in a minute: the daemon stopped "
            "reading them below the mark\n",
            behind, static_cast<unsigned long long>(mark));
    return total;
}

// Waits until the daemon has read and written nothing for a second, so the
// queues are as full as the clients made them; a minute of change is a hang.
bool queues_settled(const TestDaemon& d) {
    auto held = [&] {
        return stat(d, "echo", "tcp", "read_bytes_total") -
               stat(d, "echo", "tcp", "written_bytes_total");
    };
    long last = held();
    int same = 0;
    auto deadline = Clock::now() + std::chrono::seconds(60);
    while (same < 4 && Clock::now() < deadline) {
        usleep(250'000);
        long now = held();
        same = now == last ? same + 1 : 0;
        last = now;
    }
    if (same < 4) print_message("the daemon's queues were still changing after a minute\n");
    return same >= 4;
}

// `n` clients of `port` that never read.
std::vector<int> connect_non_readers(uint16_t port, int n) {
    std::vector<int> fds;
    for (int i = 0; i < n; ++i) {
        int fd = connect_non_reader(port);
        if (fd < 0) break;
        fds.push_back(fd);
    }
    return fds;
}

// A daemon serving `type` with no cap on sessions; `daemon_extra` under [daemon].
std::string unlimited(const char* type, const std::string& daemon_extra = "") {
    return config_head(daemon_extra) + "[" + type + "]\ntcp = 127.0.0.1:0\nper_source = 0\n" +
           "rate = 0/s\nmax_connections = 0\n";
}

// `mark`: the output_buffer key's value; nullptr leaves the key out (the default).
void check_mark(const char* mark, long mark_bytes, int clients) {
    TestDaemon d(unlimited("echo", mark ? "output_buffer = " + std::string(mark) : ""));
    assert_true(d.started());
    long baseline = settled_rss(d);
    std::vector<int> fds = connect_non_readers(d.port("echo", "tcp"), clients);
    assert_int_equal(fds.size(), clients);
    // Far more than the mark and every kernel buffer on the way hold.
    uint64_t sent = send_until_stuck(fds, uint64_t(mark_bytes), uint64_t(mark_bytes) + (4u << 20));
    assert_true(queues_settled(d));
    long rss = d.rss_kib();
    Queued q = queued_by_sessions(d);
    long growth = (rss - baseline) * 1024;
    print_message(
        "output_buffer = %s, %d clients that never read: sent %llu KiB; queued %llu KiB "
        "(largest queue %llu bytes); RSS +%ld KiB = %.3f x queued, %ld bytes per session\n",
        mark ? mark : "64k (default)", clients, static_cast<unsigned long long>(sent >> 10),
        static_cast<unsigned long long>(q.total >> 10), static_cast<unsigned long long>(q.largest),
        growth >> 10, q.total ? double(growth) / double(q.total) : 0.0,
        (growth - long(q.total)) / clients);
    assert_int_equal(q.sessions, clients);
    // The mark is a bound: no session holds more than it ...
    assert_true(q.largest <= uint64_t(mark_bytes));
    // ... and it was reached: every session holds most of it.
    assert_true(q.total >= uint64_t(clients) * uint64_t(mark_bytes) * 3 / 4);
    // Memory goes with what is queued, not with the blocks a queue outgrew.
    long allowed = long(q.total) * 5 / 4 + clients * kPerSessionBytes + kFixedBytes;
    assert_true(growth <= allowed * kAllocatorFactor);
    // Still serving: a client that reads gets its echo.
    assert_true(served(d.port("echo", "tcp")));
    for (int fd : fds) close(fd);
    assert_true(wait_tcp_open(d, "echo", 0, 60'000));
}

void mark_4k_holds_with_1000_clients(void**) {
    check_mark("4k", 4096, 1000);
}
void default_mark_64k_holds_with_250_clients(void**) {
    check_mark(nullptr, 65536, 250);
}
void mark_1m_holds_with_16_clients(void**) {
    check_mark("1m", 1 << 20, 16);
}

void chargen_clients_that_never_read_hold_a_queue_each(void**) {
    TestDaemon d(unlimited("chargen"));
    assert_true(d.started());
    constexpr int kClients = 500;
    long baseline = settled_rss(d);
    std::vector<int> fds = connect_non_readers(d.port("chargen", "tcp"), kClients);
    assert_int_equal(fds.size(), kClients);
    long rss = settled_rss(d);
    print_message(
        "%d chargen clients that never read: daemon RSS %ld KiB (baseline %ld KiB, "
        "%ld KiB per client)\n",
        kClients, rss, baseline, (rss - baseline) / kClients);
    assert_int_equal(tcp_open(d, "chargen"), kClients);
    assert_true(rss - baseline < kClients * kChargenSessionKiB * kAllocatorFactor);
    // Still serving: a reader gets its lines.
    int reader = tcp_connect(d.port("chargen", "tcp"));
    assert_true(recv_exactly(reader, 74 * 100).size() == 74 * 100);
    close(reader);
    for (int fd : fds) close(fd);
    assert_true(wait_tcp_open(d, "chargen", 0));
}

}  // namespace

int main() {
    if (!enter_private_network()) return 77;
    // The clients' receive buffers are set to 4 KiB per socket; every send
    // buffer is 4 KiB; the daemon's receive buffers are large, so a read can
    // find more than a small mark waiting.
    int status = 0;
    run("sysctl -qw net.ipv4.tcp_wmem='4096 4096 4096' "
        "net.ipv4.tcp_rmem='4096 262144 262144'",
        &status);
    if (status != 0) {
        fprintf(stderr, "skipped: cannot set the namespace's TCP buffers\n");
        return 77;
    }
    rlimit nofile{4096, 4096};
    setrlimit(RLIMIT_NOFILE, &nofile);  // the daemon inherits it
    return run_test_group({cmocka_unit_test(mark_4k_holds_with_1000_clients),
                           cmocka_unit_test(default_mark_64k_holds_with_250_clients),
                           cmocka_unit_test(mark_1m_holds_with_16_clients),
                           cmocka_unit_test(chargen_clients_that_never_read_hold_a_queue_each)});
}
