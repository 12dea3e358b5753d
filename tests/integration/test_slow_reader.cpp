// A peer that reads, but slower than it sends, keeps an echo session's output
// queue from ever draining. The queue must still hold only what is owed (at
// most the high-water mark), every byte must come back in order, and a mark
// above the daemon's 64 KiB read buffer must not overflow that buffer.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using harness::TestDaemon;

#if defined(__SANITIZE_ADDRESS__)
constexpr long kAllocatorFactor = 2;  // redzones, shadow memory, quarantine
#else
constexpr long kAllocatorFactor = 1;
#endif

static char pattern_at(uint64_t i) {
    return static_cast<char>('a' + (i * 7) % 26);
}

static void slow_steady_reader_keeps_memory_bounded(void**) {
    // A queue larger than one write's worth of socket buffer never drains.
    TestDaemon d(
        "[daemon]\noutput_buffer = 16m\n[control]\nsocket =\n[echo]\ntcp = 127.0.0.1:0\n"
        "rate = 0/s\n");
    assert_true(d.started());
    int fd = harness::tcp_connect(d.port("echo", "tcp"));
    assert_true(fd >= 0);
    long baseline = d.rss_kib();
    std::string chunk(65536, '\0');
    char in[16384];
    uint64_t sent = 0, received = 0, mismatched = 0;
    auto start = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::steady_clock::now() - start; };
    long peak = 0;
    while (elapsed() < std::chrono::seconds(4)) {
        for (size_t k = 0; k < chunk.size(); ++k) chunk[k] = pattern_at(sent + k);
        ssize_t n = send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) sent += static_cast<uint64_t>(n);
        // Read a little every 2 ms: slower than we send, but never stopping.
        poll(nullptr, 0, 2);
        ssize_t r = recv(fd, in, sizeof in, MSG_DONTWAIT);
        for (ssize_t k = 0; k < r; ++k) mismatched += in[k] != pattern_at(received + uint64_t(k));
        if (r > 0) received += static_cast<uint64_t>(r);
        peak = std::max(peak, d.rss_kib() - baseline);
    }
    close(fd);
    print_message("sent %llu KiB, echoed back %llu KiB, daemon RSS peak +%ld KiB\n",
                  static_cast<unsigned long long>(sent >> 10),
                  static_cast<unsigned long long>(received >> 10), peak);
    assert_int_equal(mismatched, 0);
    assert_true(received > (16u << 20));  // the session kept flowing: over 16 MiB came back
    // The queue is a chain of 4 KiB chunks, each freed as the peer takes it:
    // at most 1.25 times the 16 MiB mark, plus 2 MiB for the chunks kept for
    // reuse and the read buffer, whatever the peer does. The doubling ring it
    // replaced kept the buffers it outgrew and peaked at 1.6 to 1.8 marks.
    assert_true(peak < (16 * 1024 * 5 / 4 + 2 * 1024) * kAllocatorFactor);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slow_steady_reader_keeps_memory_bounded),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
