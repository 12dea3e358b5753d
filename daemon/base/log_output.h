// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The log's writes outside the event loop (start-up, the final flush), which
// must never hang the process on a full pipe nobody reads or a stalled
// journald: stderr is made non-blocking when it is a pipe or socket, and
// every wait has a deadline. Once a wait has run out, the next ones give up
// at once until a write gets through, so the bound holds for the process,
// not for each line.

#include <chrono>
#include <cstddef>
#include <string_view>

namespace smalld::log::output {

using Clock = std::chrono::steady_clock;

// The longest a write outside the loop waits for a full stderr or journal
// socket; then the lines are lost, and the exit status says so.
constexpr std::chrono::milliseconds kBlockingLimit{1000};

// Once: O_NONBLOCK on stderr if it is a pipe or a socket (not on a terminal
// or a file, whose flags the shell shares and which do not fill up).
void make_stderr_nonblocking();

// Waits until fd is writable or the deadline passes; false when it has
// passed, now or in an earlier wait nobody has read since.
bool wait_writable(int fd, Clock::time_point deadline);

// Writes all of text to stderr, waiting until the deadline at most; returns
// the number of lines lost (0: all written).
size_t write_stderr_bounded(std::string_view text, Clock::time_point deadline);

}  // namespace smalld::log::output
