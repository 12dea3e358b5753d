// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Everything a run measured. Modes fill it in; the report renders it.

#include <cstdint>
#include <string>

#include "histogram.h"

namespace smallprobe {

// Failures by kind. The first of each kind is also printed when it happens,
// so the user sees the reason without waiting for the summary.
struct ErrorCounts {
    uint64_t refused = 0;
    uint64_t reset = 0;      // RST, or EPIPE while sending
    uint64_t closed = 0;     // EOF where the server should have kept talking
    uint64_t timeout = 0;    // no reply within -w
    uint64_t bad_reply = 0;  // wrong length or content (connect and line modes)
    uint64_t other = 0;
    uint64_t total() const { return refused + reset + closed + timeout + bad_reply + other; }
};

struct Result {
    uint64_t elapsed_ns = 0;
    uint64_t ops = 0;  // messages, replies, queries or datagrams completed
    uint64_t bytes_sent = 0;
    uint64_t bytes_received = 0;
    uint64_t mismatched_bytes = 0;
    // UDP echo: every datagram is either received or lost (never both), so
    // sent = received + losses. Lost: no reply by -w after the run's end.
    uint64_t sent = 0;
    uint64_t received = 0;    // datagrams answered (once each, late ones too)
    uint64_t losses = 0;      // datagrams never answered
    uint64_t late = 0;        // answered after the closed loop had resent in their place
    uint64_t duplicates = 0;  // second and later replies to one datagram
    uint64_t attempted = 0;   // connections (or UDP flows) tried
    uint64_t connected = 0;   // ... and established
    uint64_t held = 0;        // idle/slowread: still open at the end
    uint64_t fd_limit = 0;    // idle/slowread: the RLIMIT_NOFILE in effect
    ErrorCounts errors;
    Histogram latency;  // nanoseconds
    // CPU and memory, filled in by main.
    uint64_t probe_cpu_ns = 0;
    bool have_server = false;
    uint64_t server_cpu_ns = 0;
    uint64_t server_rss_kb_before = 0;
    uint64_t server_rss_kb_held = 0;  // sampled while the connections were held
};

}  // namespace smallprobe
