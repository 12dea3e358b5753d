// SPDX-License-Identifier: BSD-2-Clause
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace harness {

namespace {

using Clock = std::chrono::steady_clock;

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

sockaddr_storage loopback(uint16_t port, int family, socklen_t* len) {
    sockaddr_storage ss{};
    if (family == AF_INET6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        a->sin6_port = htons(port);
        *len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a->sin_port = htons(port);
        *len = sizeof *a;
    }
    return ss;
}

}  // namespace

bool wait_fd(int fd, short events, int timeout_ms) {
    pollfd p{fd, events, 0};
    return poll(&p, 1, timeout_ms) > 0;
}

std::string env_or(const char* name, const char* fallback) {
    const char* v = getenv(name);
    return v && *v ? v : fallback;
}

void report_expired(int timeout_ms, const std::string& what) {
    if (timeout_ms >= kPatienceMs)
        fprintf(stderr, "harness: nothing after %d s of waiting for %s\n", timeout_ms / 1000,
                what.c_str());
}

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TestDaemon::TestDaemon(const std::string& ini, std::vector<std::string> extra_args,
                       std::vector<std::string> env)
    : TestDaemon(ini, std::move(extra_args), std::move(env), {}) {}

TestDaemon::TestDaemon(const std::string& ini, std::vector<std::string> extra_args,
                       std::vector<std::string> env, std::vector<std::string> wrapper) {
    char templ[] = "/tmp/smalld-test.XXXXXX";
    dir_ = mkdtemp(templ);
    chmod(dir_.c_str(), 0755);
    log_path_ = dir_ + "/smalld.log";
    write_config(ini);
    std::vector<std::string> args = {smalld_bin(), "-c", config_path()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    args.insert(args.begin(), wrapper.begin(), wrapper.end());
    pid_t test = getpid();
    pid_ = fork();
    if (pid_ == 0) {
        // A failed cmocka assertion leaves the test without running this
        // object's destructor: the daemon must not outlive the test process.
        // (A wrapper that changes credentials clears this; the destructor
        // still covers those tests when they pass.)
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != test) _exit(127);
        int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(log_fd, STDERR_FILENO);
        dup2(log_fd, STDOUT_FILENO);
        int null_fd = open("/dev/null", O_RDONLY);
        dup2(null_fd, STDIN_FILENO);
        // The test's own environment must not leak in; `env` may set these.
        unsetenv("JOURNAL_STREAM");
        unsetenv("NOTIFY_SOCKET");
        unsetenv("LISTEN_FDS");
        for (const auto& e : env) putenv(strdup(e.c_str()));
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        if (wrapper.empty())
            execv(argv[0], argv.data());
        else
            execvp(argv[0], argv.data());
        _exit(127);
    }
    ready_ = wait_for_log("smalld ready");
    if (!ready_) fprintf(stderr, "smalld did not start; its log:\n%s\n", log().c_str());
}

TestDaemon::~TestDaemon() {
    if (pid_ > 0 && !exited_) {
        kill(pid_, SIGTERM);
        if (wait_exit(10000) < 0) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    if (getenv("SMALLD_KEEP_TEST_DIRS") == nullptr) run("rm -rf '" + dir_ + "'");
}

void TestDaemon::write_config(const std::string& ini) const {
    std::string text = ini;
    replace_all(text, "@DIR@", dir_);
    std::ofstream(config_path()) << text;
}

std::string TestDaemon::log() const {
    return slurp(log_path_);
}

bool TestDaemon::wait_for_log(const std::string& needle, int timeout_ms, size_t after) const {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    do {
        std::string text = log();
        if (text.size() > after && text.find(needle, after) != std::string::npos) return true;
        if (exited_) return false;
        // Exited (not reaped, so wait_exit still sees it): the log is complete.
        siginfo_t info{};
        if (pid_ > 0 &&
            waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            info.si_pid == pid_) {
            text = log();
            return text.size() > after && text.find(needle, after) != std::string::npos;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } while (Clock::now() < deadline);
    report_expired(timeout_ms, "\"" + needle + "\" in the daemon's log");
    return false;
}

uint16_t TestDaemon::port(const std::string& instance, const std::string& proto, int family) const {
    std::string text = log();
    std::string prefix =
        instance + ": listening on " + proto + " " + (family == AF_INET6 ? "[" : "");
    uint16_t found = 0;
    for (size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at + 1)) {
        // "echo: listening" must not match "halfecho: listening".
        if (at > 0 && text[at - 1] != ' ' && text[at - 1] != '\n') continue;
        size_t eol = text.find('\n', at);
        std::string line = text.substr(at + prefix.size(), eol - at - prefix.size());
        if (family == AF_INET && line.front() == '[') continue;
        size_t colon = family == AF_INET6 ? line.find("]:") + 1 : line.find(':');
        if (colon == std::string::npos || colon == 0) continue;
        found = static_cast<uint16_t>(atoi(line.c_str() + colon + 1));
    }
    return found;
}

void TestDaemon::signal(int sig) const {
    kill(pid_, sig);
}

int TestDaemon::wait_exit(int timeout_ms) {
    if (exited_) return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    do {
        pid_t r = waitpid(pid_, &status_, WNOHANG);
        if (r == pid_) {
            exited_ = true;
            return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    } while (Clock::now() < deadline);
    report_expired(timeout_ms, "the daemon (pid " + std::to_string(pid_) + ") to exit");
    return -1;
}

long TestDaemon::rss_kib() const {
    std::string status = slurp("/proc/" + std::to_string(pid_) + "/status");
    auto at = status.find("VmRSS:");
    return at == std::string::npos ? -1 : atol(status.c_str() + at + 6);
}

int tcp_connect(uint16_t port, int family, int timeout_ms) {
    socklen_t len;
    sockaddr_storage addr = loopback(port, family, &len);
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    return finish_connect(fd, reinterpret_cast<sockaddr*>(&addr), len, timeout_ms);
}

int finish_connect(int fd, const sockaddr* to, socklen_t len, int timeout_ms) {
    if (connect(fd, to, len) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    int err = 0;
    socklen_t errlen = sizeof err;
    if (!wait_fd(fd, POLLOUT, timeout_ms)) {
        report_expired(timeout_ms, "a TCP connection to complete");
        close(fd);
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) != 0 || err != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

bool send_all(int fd, const std::string& data, int timeout_ms) {
    size_t off = 0;
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (off < data.size()) {
        ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0 || !wait_fd(fd, POLLOUT, static_cast<int>(left.count()))) {
            report_expired(timeout_ms, "room to send (" + std::to_string(off) + " of " +
                                           std::to_string(data.size()) + " bytes sent)");
            return false;
        }
    }
    return true;
}

namespace {
std::string recv_loop(int fd, size_t max, int timeout_ms, bool stop_at_max) {
    std::string out;
    char buf[65536];
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    while (out.size() < max) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0 || !wait_fd(fd, POLLIN, static_cast<int>(left.count()))) {
            report_expired(timeout_ms, std::string(stop_at_max ? "exactly " : "EOF or ") +
                                           std::to_string(max) + " bytes (" +
                                           std::to_string(out.size()) + " received)");
            break;
        }
        ssize_t n = recv(fd, buf, std::min(sizeof buf, max - out.size()), 0);
        if (n > 0)
            out.append(buf, static_cast<size_t>(n));
        else if (n == 0 || (errno != EAGAIN && errno != EINTR))
            break;
    }
    return out;
}
}  // namespace

std::string recv_until_eof(int fd, size_t max, int timeout_ms) {
    return recv_loop(fd, max, timeout_ms, false);
}

std::string recv_exactly(int fd, size_t n, int timeout_ms) {
    return recv_loop(fd, n, timeout_ms, true);
}

std::string udp_exchange(uint16_t port, const std::string& payload, int family, int timeout_ms) {
    socklen_t len;
    sockaddr_storage addr = loopback(port, family, &len);
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return {};
    std::string reply;
    if (sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&addr), len) ==
            static_cast<ssize_t>(payload.size()) &&
        wait_fd(fd, POLLIN, timeout_ms)) {
        std::string buf(65536, '\0');
        ssize_t n = recv(fd, buf.data(), buf.size(), 0);
        if (n >= 0) reply.assign(buf.data(), static_cast<size_t>(n));
    } else {
        report_expired(timeout_ms, "a UDP reply from port " + std::to_string(port));
    }
    close(fd);
    return reply;
}

}  // namespace harness
