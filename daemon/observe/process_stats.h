// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The standard process metrics every Prometheus client library exports
// (process_cpu_seconds_total, process_open_fds, ...), read from /proc/self
// the way those libraries read them.

namespace smalld {

struct ProcessStats {
    double cpu_seconds = 0;      // user + system
    double resident_bytes = 0;   // RSS
    double open_fds = 0;         // entries of /proc/self/fd
    double max_fds = 0;          // RLIMIT_NOFILE, soft
    double start_time_unix = 0;  // boot time + the process's start in ticks
};

// Fields that cannot be read stay 0.
ProcessStats read_process_stats();

}  // namespace smalld
