// SPDX-License-Identifier: BSD-2-Clause
// Backpressure: a session whose peer never reads holds at most its output
// queue (output_buffer, 64 KiB by default) in the daemon, for echo (the peer
// keeps sending) and chargen (the daemon would produce forever). Runs in a
// network namespace of its own with 4 KiB TCP buffers, so what the peers do
// not read piles up in the daemon rather than in the kernel; without root it
// cannot, and exits 77 (skipped).
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "harness.h"
#include "protect.h"

#include "../cmocka.hpp"

using namespace harness;
using namespace protect;

namespace {

constexpr long kOutputBufferKiB = 64;
// What each stuck session may cost: its queue (in 4 KiB chunks, at most one
// more than its bytes need), a quarter of it for the allocator, plus the
// session itself, its events and socket bookkeeping; AddressSanitizer's
// allocator needs up to twice that.
constexpr long kPerSessionKiB = (kOutputBufferKiB * 5 / 4 + 8) * (kSanitized ? 2 : 1);

std::vector<int> connect_non_readers(uint16_t port, int n) {
    std::vector<int> fds;
    for (int i = 0; i < n; ++i) {
        int fd = tcp_connect_from("127.0.0.1", "127.0.0.1", port, kPatienceMs, 4096);
        if (fd < 0) break;
        fds.push_back(fd);
    }
    return fds;
}

void rss_bounded_with_1000_non_reading_echo_clients(void**) {
    TestDaemon d(config_head() +
                 "[echo]\ntcp = 127.0.0.1:0\nper_source = 0\nrate = 0/s\nmax_connections = 0\n");
    assert_true(d.started());
    constexpr int kClients = 1000;
    long baseline = d.rss_kib();
    std::vector<int> fds = connect_non_readers(d.port("echo", "tcp"), kClients);
    assert_int_equal(fds.size(), kClients);
    // Every client sends twice the mark, or until the daemon stops taking its
    // bytes: more than the queue and the 4 KiB kernel buffers hold. Bounded by
    // work: the clients go on until the daemon has taken a queue's worth from
    // each (however long a loaded machine takes), then until half a second
    // passes with nothing taken; only a minute without progress is a hang.
    constexpr uint64_t kPerClient = 2 * kOutputBufferKiB * 1024;
    constexpr uint64_t kOwed = uint64_t(kClients) * kOutputBufferKiB * 1024;
    std::vector<uint64_t> sent(fds.size());
    std::string chunk(16384, 'm');
    uint64_t total = 0;
    int idle_passes = 0;
    auto last_progress = Clock::now();
    while ((total <= kOwed || idle_passes < 10) &&
           Clock::now() - last_progress < std::chrono::seconds(60)) {
        uint64_t this_pass = 0;
        for (size_t i = 0; i < fds.size(); ++i) {
            if (sent[i] >= kPerClient) continue;
            ssize_t n = send(fds[i], chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0) sent[i] += uint64_t(n);
            if (n > 0) this_pass += uint64_t(n);
        }
        total += this_pass;
        idle_passes = this_pass ? 0 : idle_passes + 1;
        if (this_pass) last_progress = Clock::now();
        usleep(50'000);
    }
    long rss = settled_rss(d);
    print_message(
        "1000 non-reading echo clients: sent %llu KiB, daemon RSS %ld KiB (baseline %ld KiB, "
        "%ld KiB per client)\n",
        static_cast<unsigned long long>(total / 1024), rss, baseline, (rss - baseline) / kClients);
    assert_int_equal(tcp_open(d, "echo"), kClients);
    // The daemon did hold what the clients did not read: about a queue each.
    if (total <= kOwed)
        print_message("the daemon stopped taking bytes at %llu KiB of the %llu KiB owed\n",
                      static_cast<unsigned long long>(total >> 10),
                      static_cast<unsigned long long>(kOwed >> 10));
    assert_true(total > kOwed);
    assert_true(rss - baseline < kClients * kPerSessionKiB);
    for (int fd : fds) close(fd);
    assert_true(wait_tcp_open(d, "echo", 0));
}

void rss_bounded_with_chargen_clients_that_never_read(void**) {
    TestDaemon d(config_head() +
                 "[chargen]\ntcp = 127.0.0.1:0\nper_source = 0\nrate = 0/s\nmax_connections = 0\n");
    assert_true(d.started());
    constexpr int kClients = 500;
    long baseline = d.rss_kib();
    std::vector<int> fds = connect_non_readers(d.port("chargen", "tcp"), kClients);
    assert_int_equal(fds.size(), kClients);
    long rss = settled_rss(d);
    print_message(
        "%d chargen clients that never read: daemon RSS %ld KiB (baseline %ld KiB, "
        "%ld KiB per client)\n",
        kClients, rss, baseline, (rss - baseline) / kClients);
    assert_int_equal(tcp_open(d, "chargen"), kClients);
    assert_true(rss - baseline < kClients * kPerSessionKiB);
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
    int status = 0;
    run("sysctl -qw net.ipv4.tcp_rmem='4096 4096 4096' net.ipv4.tcp_wmem='4096 4096 4096'",
        &status);
    if (status != 0) {
        fprintf(stderr, "skipped: cannot shrink the namespace's TCP buffers\n");
        return 77;
    }
    rlimit nofile{4096, 4096};
    setrlimit(RLIMIT_NOFILE, &nofile);  // the daemon inherits it
    const CMUnitTest tests[] = {
        cmocka_unit_test(rss_bounded_with_1000_non_reading_echo_clients),
        cmocka_unit_test(rss_bounded_with_chargen_clients_that_never_read),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
