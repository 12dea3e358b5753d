// SPDX-License-Identifier: BSD-2-Clause
// smallctl does not trust its server. Against a socket that floods without a
// newline it stops at its 16 MiB reply cap with a clear error, in bounded
// memory; against one that never accepts it gives up after its 60 s timeout
// with exit 3; a monitor whose stream goes silent (no event, no keep-alive)
// or drips bytes without ever ending a line is given up after 60 s; and no
// escape sequence from a reply, an event or a reload error reaches the
// terminal raw. The fake servers are threads of this test on Unix sockets in
// a directory of its own; every smallctl it starts is waited for with a hang
// guard (its own timeout plus kPatienceMs) and killed by its pid past it.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kSmallctlTimeoutMs = 60'000;  // smallctl's own, for replies and connect
constexpr int kGuardMs = kSmallctlTimeoutMs + harness::kPatienceMs;
constexpr size_t kFloodBytes = 128 << 20;  // what a flooding server sends at most
constexpr long kRssLimitKib = 64 << 10;    // smallctl's cap is 16 MiB a reply
constexpr const char* kEscapes = "\\u001b]0;owned\\u0007\\u001b[2J";  // as JSON text

std::string scratch_dir() {
    static std::string dir = [] {
        char templ[] = "/tmp/smallctl-hostile.XXXXXX";
        return std::string(mkdtemp(templ));
    }();
    return dir;
}

// --- smallctl as a child process -------------------------------------------

struct Outcome {
    int status = -1;  // exit status; -1: still running at the guard, killed
    std::string out, err;
    long max_rss_kib = 0;
};

struct Child {
    pid_t pid = -1;
    std::string out_path, err_path;
};

Child start_smallctl(const std::string& socket, std::vector<std::string> args) {
    static int serial = 0;
    Child c;
    std::string base = scratch_dir() + "/run" + std::to_string(++serial);
    c.out_path = base + ".out";
    c.err_path = base + ".err";
    std::string bin = harness::env_or("SMALLCTL_BIN", "smallctl");
    args.insert(args.begin(), {bin, "-s", socket});
    c.pid = fork();
    if (c.pid == 0) {
        int out = open(c.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(c.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(out, STDOUT_FILENO);
        dup2(err, STDERR_FILENO);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    return c;
}

// Waits for the child until the guard; past it, kills it (by its pid).
Outcome finish(const Child& c, int guard_ms = kGuardMs) {
    Outcome o;
    auto deadline = Clock::now() + std::chrono::milliseconds(guard_ms);
    int status = 0;
    rusage usage{};
    pid_t r;
    while ((r = wait4(c.pid, &status, WNOHANG, &usage)) == 0 && Clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (r == 0) {
        harness::report_expired(guard_ms, "smallctl (pid " + std::to_string(c.pid) + ") to exit");
        kill(c.pid, SIGKILL);
        wait4(c.pid, &status, 0, &usage);
    } else if (WIFEXITED(status)) {
        o.status = WEXITSTATUS(status);
    } else {
        o.status = 128 + WTERMSIG(status);
    }
    o.max_rss_kib = usage.ru_maxrss;
    o.out = harness::slurp(c.out_path);
    o.err = harness::slurp(c.err_path);
    return o;
}

Outcome run_smallctl(const std::string& socket, std::vector<std::string> args) {
    return finish(start_smallctl(socket, std::move(args)));
}

// --- fake servers ------------------------------------------------------------

int listening_socket(const std::string& path, int backlog) {
    unlink(path.c_str());
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(fd, backlog) != 0)
        fail_msg("cannot listen on %s: %s", path.c_str(), strerror(errno));
    return fd;
}

// Serves clients one at a time in a thread: reads the request line (if any
// comes within a second), then runs `behaviour` on the connection.
class FakeServer {
  public:
    using Behaviour = std::function<void(int fd, const std::atomic<bool>& stop)>;
    FakeServer(const std::string& name, Behaviour behaviour)
        : path_(scratch_dir() + "/" + name + ".sock"),
          fd_(listening_socket(path_, 16)),
          behaviour_(std::move(behaviour)),
          thread_([this] { serve(); }) {}
    ~FakeServer() {
        stop_ = true;
        thread_.join();
        close(fd_);
        unlink(path_.c_str());
    }
    const std::string& path() const { return path_; }

  private:
    void serve() {
        while (!stop_) {
            if (!harness::wait_fd(fd_, POLLIN, 100)) continue;
            int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (c < 0) continue;
            std::string request;
            for (int i = 0; i < 10 && request.find('\n') == std::string::npos; ++i) {
                if (!harness::wait_fd(c, POLLIN, 100)) continue;
                char buf[4096];
                ssize_t n = recv(c, buf, sizeof buf, 0);
                if (n <= 0) break;
                request.append(buf, size_t(n));
            }
            behaviour_(c, stop_);
            close(c);
        }
    }

    std::string path_;
    int fd_;
    Behaviour behaviour_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// Sends all of `data` unless the client leaves or the test ends.
bool send_bounded(int fd, std::string_view data, const std::atomic<bool>& stop) {
    size_t off = 0;
    while (off < data.size() && !stop) {
        ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += size_t(n);
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
        harness::wait_fd(fd, POLLOUT, 100);
    }
    return off == data.size();
}

// Keeps the connection open, saying nothing, until the client leaves.
void hold(int fd, const std::atomic<bool>& stop) {
    while (!stop) {
        if (!harness::wait_fd(fd, POLLIN, 100)) continue;
        char buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return;
    }
}

// `prefix`, then bytes without a newline up to kFloodBytes, then silence.
FakeServer::Behaviour flood(std::string prefix) {
    return [prefix](int fd, const std::atomic<bool>& stop) {
        if (!send_bounded(fd, prefix, stop)) return;
        std::string block(1 << 20, 'x');
        for (size_t sent = prefix.size(); sent < kFloodBytes; sent += block.size())
            if (!send_bounded(fd, block, stop)) return;
        hold(fd, stop);
    };
}

FakeServer::Behaviour reply(std::string text) {
    return [text](int fd, const std::atomic<bool>& stop) {
        if (send_bounded(fd, text, stop)) hold(fd, stop);
    };
}

// The reply, then one byte every half second, never a newline.
FakeServer::Behaviour reply_then_drip(std::string text) {
    return [text](int fd, const std::atomic<bool>& stop) {
        if (!send_bounded(fd, text, stop)) return;
        while (!stop && send_bounded(fd, "x", stop))
            for (int i = 0; i < 5 && !stop; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                char c;
                if (recv(fd, &c, 1, MSG_DONTWAIT) == 0) return;  // the client left
            }
    };
}

bool has_raw_control(const std::string& text) {
    for (unsigned char c : text)
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return true;
    return false;
}

void expect_capped(const Outcome& o, const char* what) {
    std::string problems;
    if (o.status != 1) problems += "exit status " + std::to_string(o.status) + ", expected 1; ";
    if (o.err.find("exceeds 16 MiB") == std::string::npos)
        problems += "no clear error about the reply's size; ";
    if (o.max_rss_kib > kRssLimitKib)
        problems += "it grew to " + std::to_string(o.max_rss_kib) + " KiB reading " +
                    std::to_string(kFloodBytes >> 20) + " MiB of one line (limit " +
                    std::to_string(kRssLimitKib) + " KiB); ";
    if (!problems.empty()) fail_msg("%s: %sstderr: %.300s", what, problems.c_str(), o.err.c_str());
}

// --- the tests -----------------------------------------------------------------

// The issue's case: a reply that never ends its line.
void flood_without_newline(void**) {
    FakeServer server("flood", flood(""));
    expect_capped(run_smallctl(server.path(), {"status"}), "status against a flood");
}

// Valid JSON that never ends: the parser never gets a chance to refuse it.
void endless_json_line(void**) {
    FakeServer server("json", flood(R"({"ok":true,"data":[{"id":1,"peer":")"));
    expect_capped(run_smallctl(server.path(), {"conns"}), "conns against an endless JSON line");
}

// top's own loop reads the same way.
void top_against_flood(void**) {
    FakeServer server("topflood", flood(""));
    expect_capped(run_smallctl(server.path(), {"top", "1"}), "top against a flood");
}

// A monitor's event line is capped like a reply.
void monitor_event_flood(void**) {
    FakeServer server("monflood", flood(R"({"ok":true,"data":{"monitoring":true}})"
                                        "\n"));
    expect_capped(run_smallctl(server.path(), {"monitor"}), "monitor against a flooding event");
}

void expect_escaped(const Outcome& o, const char* what, int status) {
    if (o.status != status)
        fail_msg("%s: exit status %d, expected %d; stderr: %.300s", what, o.status, status,
                 o.err.c_str());
    if (has_raw_control(o.out) || has_raw_control(o.err))
        fail_msg("%s: a control character reached the terminal raw:\nstdout: %s\nstderr: %s", what,
                 o.out.c_str(), o.err.c_str());
    if ((o.out + o.err).find("\\x1b]0;owned\\x07\\x1b[2J") == std::string::npos)
        fail_msg("%s: the escaped sequence is not shown:\nstdout: %s\nstderr: %s", what,
                 o.out.c_str(), o.err.c_str());
}

void escapes_in_a_reply(void**) {
    FakeServer server("escreply", reply(std::string(R"({"ok":true,"data":{"version":"1.0)") +
                                        kEscapes + R"(","pid":1,"state":"running"}})" + "\n"));
    expect_escaped(run_smallctl(server.path(), {"status"}), "status reply", 0);
}

void escapes_in_a_reload_error(void**) {
    FakeServer server("escreload",
                      reply(std::string(R"({"ok":false,"error":"reload failed)") + kEscapes +
                            R"(","errors":["smalld.ini:3: rate: expected N/s, got \")" + kEscapes +
                            R"(\""]})" + "\n"));
    expect_escaped(run_smallctl(server.path(), {"reload"}), "reload error", 1);
}

void escapes_in_a_monitor_event(void**) {
    FakeServer server("escevent", [](int fd, const std::atomic<bool>& stop) {
        std::string text = std::string(R"({"ok":true,"data":{"monitoring":true}})") + "\n" +
                           R"({"event":"reload","time":1.5,"error":")" + kEscapes + "\"}\n";
        send_bounded(fd, text, stop);  // then closes
    });
    expect_escaped(run_smallctl(server.path(), {"monitor"}), "monitor event", 1);
}

// The real daemon quoting a drop-in's text in its reload errors.
void escapes_in_a_real_reload_error(void**) {
    const char* ini = R"(
[control]
socket = @DIR@/control.sock
mode = 0600
[echo]
tcp = 127.0.0.1:0
)";
    harness::TestDaemon d(ini);
    assert_true(d.started());
    d.write_config(std::string(ini) + "rate = \x1b]0;owned\x07\x1b[2J\n");
    expect_escaped(run_smallctl(d.control_socket(), {"reload"}), "a real reload error", 1);
}

// A Unix socket that listens with its backlog full: connect() cannot complete.
int never_accepting(const std::string& path, std::vector<int>* queued) {
    int fd = listening_socket(path, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    for (int i = 0; i < 64; ++i) {
        int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            close(c);
            break;
        }
        queued->push_back(c);
    }
    return fd;
}

// Every case that takes smallctl's whole timeout, side by side: a server
// that never accepts (status, top, reload: ExecReload), a monitor that goes
// silent, one that drips bytes without a newline; and a monitor of a real,
// quiet daemon, which keep-alives must keep alive past the timeout.
void silent_servers(void**) {
    std::vector<int> queued;
    std::string stuck = scratch_dir() + "/stuck.sock";
    int stuck_fd = never_accepting(stuck, &queued);
    FakeServer silent("silent", reply(R"({"ok":true,"data":{"monitoring":true}})"
                                      "\n"));
    FakeServer drip("drip", reply_then_drip(R"({"ok":true,"data":{"monitoring":true}})"
                                            "\n"));
    harness::TestDaemon d(R"(
[daemon]
log_connections = no
[control]
socket = @DIR@/control.sock
mode = 0600
[echo]
tcp = 127.0.0.1:0
)");
    assert_true(d.started());
    auto started = Clock::now();
    Child live = start_smallctl(d.control_socket(), {"monitor"});
    struct Case {
        const char* what;
        Child child;
        int status;
        const char* says;
    };
    std::vector<Case> cases = {
        {"status, never accepted", start_smallctl(stuck, {"status"}), 3, "does not accept"},
        {"top, never accepted", start_smallctl(stuck, {"top", "1"}), 3, "does not accept"},
        {"reload, never accepted", start_smallctl(stuck, {"reload"}), 3, "does not accept"},
        {"monitor, silent", start_smallctl(silent.path(), {"monitor"}), 1, "no event"},
        {"monitor, dripping", start_smallctl(drip.path(), {"monitor"}), 1, "no event"},
    };
    std::string failures;
    for (auto& c : cases) {
        Outcome o = finish(c.child);
        if (o.status != c.status || o.err.find(c.says) == std::string::npos)
            failures += std::string(c.what) + ": exit status " + std::to_string(o.status) +
                        " (expected " + std::to_string(c.status) + ", -1: killed at the guard), " +
                        "stderr: " + o.err.substr(0, 300) + "\n";
    }
    // Past smallctl's timeout plus two keep-alive periods, the real monitor
    // must still be running: it hears a keep-alive every 15 s.
    auto quiet_until = started + std::chrono::milliseconds(kSmallctlTimeoutMs + 30'000);
    auto exited = [&] {  // without reaping it: finish() does
        siginfo_t info{};
        return waitid(P_PID, id_t(live.pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
               info.si_pid == live.pid;
    };
    while (Clock::now() < quiet_until && !exited())
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    bool alive = !exited();
    kill(live.pid, SIGTERM);
    Outcome monitor = finish(live, harness::kPatienceMs);
    if (!alive)
        failures += "the monitor of a quiet daemon gave up: " + monitor.err.substr(0, 300) + "\n";
    for (int fd : queued) close(fd);
    close(stuck_fd);
    unlink(stuck.c_str());
    if (!failures.empty()) fail_msg("%s", failures.c_str());
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(flood_without_newline),
        cmocka_unit_test(endless_json_line),
        cmocka_unit_test(top_against_flood),
        cmocka_unit_test(monitor_event_flood),
        cmocka_unit_test(escapes_in_a_reply),
        cmocka_unit_test(escapes_in_a_reload_error),
        cmocka_unit_test(escapes_in_a_monitor_event),
        cmocka_unit_test(escapes_in_a_real_reload_error),
        cmocka_unit_test(silent_servers),
    };
    int failed = cmocka_run_group_tests(tests, nullptr, nullptr);
    harness::run("rm -rf '" + scratch_dir() + "'");
    return failed;
}
