// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// CPU time and memory of this process and of the server under test, read from
// /proc so the probe can report cost per request without instrumenting it.

#include <cstdint>
#include <optional>

namespace smallprobe {

// utime + stime of pid from /proc/PID/stat, in nanoseconds.
std::optional<uint64_t> process_cpu_ns(int pid);

// VmRSS of pid from /proc/PID/status, in KiB.
std::optional<uint64_t> process_rss_kb(int pid);

// User + system CPU time of this process (getrusage).
uint64_t self_cpu_ns();

}  // namespace smallprobe
