// SPDX-License-Identifier: BSD-2-Clause
// A peer that reads, but slower than it sends, keeps an echo session's output
// queue from ever draining. The queue must still hold only what is owed (at
// most the high-water mark), every byte must come back in order, and a mark
// above the daemon's 64 KiB read buffer must not overflow that buffer.
//
// Bounded by work, not time: a fixed amount goes through, however long the
// machine takes; only a session that stops moving for a minute fails.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using harness::TestDaemon;
using Clock = std::chrono::steady_clock;

constexpr long kAllocatorFactor = harness::kSanitized ? 2 : 1;  // redzones, shadow memory

// The stream sent: period 26, so any stretch of it starts within the first
// 26 bytes of one precomputed buffer.
static char pattern_at(uint64_t i) {
    return static_cast<char>('a' + (i * 7) % 26);
}
constexpr size_t kPeriod = 26;

static void slow_steady_reader_keeps_memory_bounded(void**) {
    // A queue larger than one write's worth of socket buffer never drains.
    TestDaemon d(
        "[daemon]\noutput_buffer = 16m\n[control]\nsocket =\n[echo]\ntcp = 127.0.0.1:0\n"
        "rate = 0/s\n",
        {}, harness::env_without_quarantine());
    assert_true(d.started());
    int fd = harness::tcp_connect(d.port("echo", "tcp"));
    assert_true(fd >= 0);
    long baseline = d.rss_kib();
    // Past the 16 MiB mark and the few MiB the kernel buffers on the way.
    constexpr uint64_t kTotal = uint64_t(32) << 20;
    constexpr auto kStall = std::chrono::seconds(60);
    constexpr size_t kChunk = 131072;
    std::string stream(kChunk + kPeriod, '\0');
    for (size_t k = 0; k < stream.size(); ++k) stream[k] = pattern_at(k);
    char in[65536];
    uint64_t sent = 0, received = 0, mismatched = 0;
    long peak = 0;
    auto start = Clock::now();
    auto last_progress = start;
    bool stalled = false;
    while (received < kTotal) {
        if (sent < kTotal) {
            size_t want = size_t(std::min<uint64_t>(kChunk, kTotal - sent));
            ssize_t n = send(fd, stream.data() + sent % kPeriod, want, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                sent += static_cast<uint64_t>(n);
                last_progress = Clock::now();
            }
        }
        // Read half a chunk every 2 ms: slower than we send, but never stopping.
        poll(nullptr, 0, 2);
        ssize_t r = recv(fd, in, sizeof in, MSG_DONTWAIT);
        if (r == 0) {
            print_message("the daemon closed the session\n");
            break;
        }
        for (ssize_t k = 0; k < r; ++k) mismatched += in[k] != pattern_at(received + uint64_t(k));
        if (r > 0) {
            received += static_cast<uint64_t>(r);
            last_progress = Clock::now();
        }
        peak = std::max(peak, d.rss_kib() - baseline);
        if (Clock::now() - last_progress > kStall) {
            stalled = true;
            break;
        }
    }
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    close(fd);
    print_message(
        "sent %llu KiB, echoed back %llu KiB in %.1f s (%.1f MiB/s, not asserted), "
        "daemon RSS peak +%ld KiB\n",
        static_cast<unsigned long long>(sent >> 10),
        static_cast<unsigned long long>(received >> 10), seconds,
        double(received) / double(1 << 20) / std::max(seconds, 0.001), peak);
    if (stalled)
        print_message("the echo stalled: neither sent nor received a byte for %lld s\n",
                      static_cast<long long>(kStall.count()));
    assert_false(stalled);
    assert_int_equal(mismatched, 0);
    assert_int_equal(received, kTotal);  // every byte came back, and nothing more
    // The queue is a chain of 4 KiB chunks, each freed as the peer takes it:
    // at most 1.25 times the 16 MiB mark, plus 2 MiB for the chunks kept for
    // reuse and the read buffer, whatever the peer does. The doubling ring it
    // replaced kept the buffers it outgrew and peaked at 1.6 to 1.8 marks.
    assert_true(peak < (16 * 1024 * 5 / 4 + 2 * 1024) * kAllocatorFactor);
}

int main() {
    return run_test_group({cmocka_unit_test(slow_steady_reader_keeps_memory_bounded)});
}
