// SPDX-License-Identifier: BSD-2-Clause
// A stderr nobody reads must not hold the daemon up: with stderr a full pipe
// (or one whose reader left), SIGTERM still ends it, within shutdown_timeout
// plus the log's one-second bound, and the exit status (74, EX_IOERR) says
// that log output was lost. Every wait here is a hang guard (kPatienceMs),
// not a speed limit.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using harness::TestDaemon;

namespace {

constexpr int kLogLost = 74;

const std::string kConfig =
    harness::control_head("0600", "log_connections = yes\nshutdown_timeout = 1s\n") + R"(
[echo]
tcp = 127.0.0.1:0
rate = 0/s
)";

// The daemon with stderr the write end of a pipe the test holds. The harness
// waits for "smalld ready" in the file it gives stdout and stderr; the
// wrapper writes that line there itself and moves the daemon's stderr to the
// pipe, so the test waits for the daemon's own line on the pipe instead.
struct PipedDaemon {
    int read_end = -1;
    int write_end = -1;
    std::string seen;  // what the test read from the pipe
    std::unique_ptr<TestDaemon> daemon;

    explicit PipedDaemon(std::vector<std::string> env = {}) {
        int fds[2];
        assert_int_equal(pipe(fds), 0);  // inherited by the daemon: no O_CLOEXEC
        read_end = fds[0];
        write_end = fds[1];
        if (!env.empty() && env[0] == "JOURNAL_STREAM") {
            struct stat st {};
            fstat(write_end, &st);
            env[0] =
                "JOURNAL_STREAM=" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
        }
        std::string script = "echo 'wrapper: smalld ready'; exec \"$0\" \"$@\" 2>&" +
                             std::to_string(write_end) + " " + std::to_string(read_end) + "<&-";
        daemon = std::make_unique<TestDaemon>(kConfig, std::vector<std::string>{}, env,
                                              std::vector<std::string>{"sh", "-c", script});
        assert_true(daemon->started());
        assert_true(read_until("smalld ready"));
    }
    ~PipedDaemon() {
        daemon.reset();  // ends the daemon, by its pid, if the test did not
        if (read_end >= 0) close(read_end);
        if (write_end >= 0) close(write_end);
    }

    bool read_until(const std::string& needle) {
        return harness::eventually([&] {
            if (!harness::wait_fd(read_end, POLLIN, 100)) return false;
            char buf[4096];
            ssize_t n = read(read_end, buf, sizeof buf);
            if (n > 0) seen.append(buf, size_t(n));
            return seen.find(needle) != std::string::npos;
        });
    }

    // From here on nobody reads: the test fills what room is left.
    void fill() {
        fcntl(write_end, F_SETFL, fcntl(write_end, F_GETFL) | O_NONBLOCK);
        std::string block(4096, 'x');
        for (int i = 0; i < 1024 && write(write_end, block.data(), block.size()) > 0; ++i) {
        }
        close(write_end);
        write_end = -1;
    }

    uint16_t echo_port() const {
        std::string prefix = "echo: listening on tcp 127.0.0.1:";
        size_t at = seen.find(prefix);
        return at == std::string::npos ? 0 : uint16_t(atoi(seen.c_str() + at + prefix.size()));
    }

    void expect_exit(int expected, const char* why) {
        daemon->signal(SIGTERM);
        int status = daemon->wait_exit(harness::kPatienceMs);
        if (status != expected)
            fail_msg("%s: exit status %d after SIGTERM, expected %d (-1: still running)", why,
                     status, expected);
    }
};

// The issue's case: stderr a full pipe nobody reads.
void full_pipe_at_sigterm(void**) {
    PipedDaemon d;
    d.fill();
    d.expect_exit(kLogLost, "stderr a full pipe");
}

// The same with stderr the journal's stream (JOURNAL_STREAM names the pipe)
// but journald's socket out of reach: the <N>-prefixed fallback lines.
void full_journal_stream_without_journald(void**) {
    struct stat st {};
    if (stat("/run/systemd/journal/socket", &st) == 0) skip();  // journald would take them
    PipedDaemon d({"JOURNAL_STREAM"});
    d.fill();
    d.expect_exit(kLogLost, "stderr a full journal stream, journald unavailable");
}

// A session that outlives shutdown_timeout while stderr is stuck: both
// bounds hold together.
void full_pipe_with_a_session_open(void**) {
    PipedDaemon d;
    int fd = harness::tcp_connect(d.echo_port());
    assert_true(fd >= 0);
    assert_true(harness::send_all(fd, "held\n"));
    assert_string_equal(harness::recv_exactly(fd, 5).c_str(), "held\n");
    d.fill();
    d.expect_exit(kLogLost, "stderr a full pipe and a session open");
    close(fd);
}

// The reader left: the last lines have nowhere to go, and the status says so.
void reader_gone(void**) {
    PipedDaemon d;
    close(d.read_end);
    d.read_end = -1;
    close(d.write_end);
    d.write_end = -1;
    d.expect_exit(kLogLost, "stderr's reader gone");
}

// A reader that keeps up: the ordinary exit status, and the last line arrives.
void reader_keeps_up(void**) {
    PipedDaemon d;
    close(d.write_end);
    d.write_end = -1;
    d.expect_exit(0, "stderr read to the end");
    assert_true(d.read_until("smalld stopped"));
}

}  // namespace

int main() {
    if (!protect::enter_private_network()) return 77;
    return run_test_group({cmocka_unit_test(full_pipe_at_sigterm),
                           cmocka_unit_test(full_journal_stream_without_journald),
                           cmocka_unit_test(full_pipe_with_a_session_open),
                           cmocka_unit_test(reader_gone), cmocka_unit_test(reader_keeps_up)});
}
