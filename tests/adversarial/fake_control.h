// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Helpers for the tests that play a hostile control socket to smallctl:
// smallctl run as a child with its output in files, its exit status and peak
// RSS; fake servers, threads of the test serving a Unix socket with a given
// behaviour. Every wait is bounded; a child past its hang guard is killed by
// its pid.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace fake_control {

using Clock = std::chrono::steady_clock;

// Every smallctl here runs with -t 5: its connect and replies wait 5 s, a
// monitor 30 s (never less than two of the daemon's 15 s keep-alives).
constexpr int kSmallctlTimeoutMs = 5'000;
constexpr int kMonitorSilenceMs = 30'000;
constexpr int kGuardMs = kMonitorSilenceMs + harness::kPatienceMs;

inline std::string scratch_dir() {
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

inline Child start_smallctl(const std::string& socket, std::vector<std::string> args) {
    static int serial = 0;
    Child c;
    std::string base = scratch_dir() + "/run" + std::to_string(++serial);
    c.out_path = base + ".out";
    c.err_path = base + ".err";
    std::string bin = harness::smallctl_bin();
    args.insert(args.begin(), {bin, "-s", socket, "-t", std::to_string(kSmallctlTimeoutMs / 1000)});
    // Everything the child needs is made before fork(): the fake servers are
    // threads, and a child of a threaded process may not allocate.
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t test = getpid();
    c.pid = fork();
    if (c.pid == 0) {
        // A test that dies (a failed assertion, CTest's timeout) takes it along.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != test) _exit(127);
        int out = open(c.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(c.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(out, STDOUT_FILENO);
        dup2(err, STDERR_FILENO);
        execv(argv[0], argv.data());
        _exit(127);
    }
    return c;
}

// Waits for the child until the guard; past it, kills it (by its pid).
inline Outcome finish(const Child& c, int guard_ms = kGuardMs) {
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

inline Outcome run_smallctl(const std::string& socket, std::vector<std::string> args) {
    return finish(start_smallctl(socket, std::move(args)));
}

// --- fake servers ------------------------------------------------------------

inline int listening_socket(const std::string& path, int backlog) {
    unlink(path.c_str());
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(fd, backlog) != 0) {
        // The test then fails on what smallctl says: no such socket.
        fprintf(stderr, "cannot listen on %s: %s\n", path.c_str(), strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
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
inline bool send_bounded(int fd, std::string_view data, const std::atomic<bool>& stop) {
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
inline void hold(int fd, const std::atomic<bool>& stop) {
    while (!stop) {
        if (!harness::wait_fd(fd, POLLIN, 100)) continue;
        char buf[4096];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return;
    }
}

}  // namespace fake_control
