// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The one header of the integration and adversarial tests (smallprobe's
// runs against the daemon among them). Runs the real smalld binary: a
// private directory, a generated config on loopback with kernel-chosen
// ports, the actual ports read back from the log, and bounded waits
// everywhere; runs smallctl and smallprobe; reads the daemon's RSS and
// descriptors (harness.cpp, harness_tools.cpp). Its topic headers, included
// at the end: protect.h (clients from chosen sources, the status and stats
// counters, a private network namespace), raw_control_client.h (a
// byte-level control client), notify_sink.h (systemd's NOTIFY_SOCKET end),
// http_reader.h (HTTP responses and streams). A test includes this header
// only.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

// Include <cmocka.h> after this header and every C++ library header: its
// fail() macro breaks <ios>. tests/cmocka.hpp does it in the right order.

namespace harness {

// How long a test waits for something it expects (a reply, a log line, a
// connection, an exit). The suite runs on loaded two-core machines, under
// ASan, with other tests beside it: only a hang may trip this, and then the
// wait says what it was waiting for. A check that something does NOT happen
// cannot fail falsely under load, so it waits kQuietMs instead.
constexpr int kPatienceMs = 30'000;
constexpr int kQuietMs = 500;

// Polls `done` every 20 ms until it holds; false after `timeout_ms`.
template <class Predicate>
bool eventually(Predicate done, int timeout_ms = kPatienceMs);

class TestDaemon {
  public:
    // Writes `ini` to DIR/smalld.ini (the text may use @DIR@ for the directory)
    // and starts smalld on it; returns once it logged "smalld ready".
    explicit TestDaemon(const std::string& ini, std::vector<std::string> extra_args = {},
                        std::vector<std::string> env = {});
    // Same, with smalld run under `wrapper` (a command and its arguments found
    // on PATH, e.g. {"prlimit", "--nofile=40:40"}) that execs it in place, so
    // pid() is still the daemon's.
    TestDaemon(const std::string& ini, std::vector<std::string> extra_args,
               std::vector<std::string> env, std::vector<std::string> wrapper);
    ~TestDaemon();
    TestDaemon(const TestDaemon&) = delete;
    TestDaemon& operator=(const TestDaemon&) = delete;

    bool started() const { return ready_; }
    pid_t pid() const { return pid_; }
    const std::string& dir() const { return dir_; }
    std::string config_path() const { return dir_ + "/smalld.ini"; }
    std::string control_socket() const { return dir_ + "/control.sock"; }

    // The kernel-chosen port of an instance's listener, from the latest
    // "listening on" line; 0 when there is none.
    uint16_t port(const std::string& instance, const std::string& proto,
                  int family = AF_INET) const;
    std::string log() const;
    bool wait_for_log(const std::string& needle, int timeout_ms = kPatienceMs,
                      size_t after = 0) const;
    size_t log_size() const { return log().size(); }

    void write_config(const std::string& ini) const;
    void signal(int sig) const;
    // Waits for exit; returns the exit status, or -1 on timeout.
    int wait_exit(int timeout_ms);
    // RSS of the daemon in KiB.
    long rss_kib() const;

  private:
    std::string dir_;
    std::string log_path_;
    pid_t pid_ = -1;
    bool ready_ = false;
    bool exited_ = false;
    int status_ = 0;
};

// Loopback helpers with bounded timeouts (ms).
int tcp_connect(uint16_t port, int family = AF_INET, int timeout_ms = kPatienceMs);
// Connects the non-blocking socket `fd` and waits for the outcome; returns fd,
// or closes it and returns -1.
int finish_connect(int fd, const sockaddr* to, socklen_t len, int timeout_ms);
bool wait_fd(int fd, short events, int timeout_ms);
bool send_all(int fd, const std::string& data, int timeout_ms = kPatienceMs);
// Reads until EOF, `max` bytes, or the timeout.
std::string recv_until_eof(int fd, size_t max = 1 << 20, int timeout_ms = kPatienceMs);
std::string recv_exactly(int fd, size_t n, int timeout_ms = kPatienceMs);
// One request, one reply; an empty string when none came in time (pass
// kQuietMs where no reply is the expected outcome).
std::string udp_exchange(uint16_t port, const std::string& payload, int family = AF_INET,
                         int timeout_ms = kPatienceMs);
// Runs a shell command with a time limit; returns its stdout, sets *status.
std::string run(const std::string& command, int* status = nullptr, int timeout_s = 60);
// The binaries under test: SMALLD_BIN, SMALLCTL_BIN, SMALLPROBE_BIN, else
// the name (found on PATH).
std::string smalld_bin();
std::string smallctl_bin();
std::string smallprobe_bin();
// A command prefix that runs what follows as user and group `uid` with no
// supplementary groups ("" for "0": as the test itself). Needs root.
std::string as_user(const std::string& uid);
// smallctl (SMALLCTL_BIN, else on PATH) against `socket` with `args` (shell
// words), run after `prefix` (e.g. a setpriv command and its arguments): its
// output and error output; *status its exit status.
std::string smallctl_at(const std::string& socket, const std::string& args, int* status = nullptr,
                        const std::string& prefix = "");
inline std::string smallctl(const TestDaemon& d, const std::string& args, int* status = nullptr,
                            const std::string& prefix = "") {
    return smallctl_at(d.control_socket(), args, status, prefix);
}
// smallctl `args` as user and group `uid` (see as_user()): its exit status,
// with its output on stderr when that is not 0.
int smallctl_as(const TestDaemon& d, const std::string& uid, const std::string& args);
// `smallctl -j ARGS` for the daemon, its standard output parsed; a discarded
// value (is_discarded()) when it printed no JSON.
nlohmann::json smallctl_json(const TestDaemon& d, const std::string& args);
// smallprobe with `args` (shell words): its standard output; *status its exit
// status.
std::string smallprobe(const std::string& args, int* status = nullptr);
// The head most test configurations share: `daemon_lines` (each ending in a
// newline) under [daemon], and a control socket in the test's directory
// with `mode`; an empty `mode`, no control socket (socket = nothing).
std::string control_head(const std::string& mode = "0666",
                         const std::string& daemon_lines = "log_connections = no\n");
inline bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}
// The daemon's RSS once it stops growing: once it grew by less than 64 KiB
// in half a second (at most 20 s; a daemon still growing then is measured as
// it is, which only makes an upper bound harder to meet).
long settled_rss(const TestDaemon& d);
// Open descriptors of a process, from /proc/PID/fd; -1 when unreadable.
int open_fds(pid_t pid);
// Raises this process's descriptor limit to its hard limit (what it starts
// inherits it).
void raise_fd_limit();
// Ends the test as skipped (exit 77, which CTest shows so) unless it runs
// as root, saying `for_what` ("to act as other users") on stderr.
void need_root(const char* for_what);
// A STAMP key file (mode 0600) holding `secret`, in a directory of its own
// made before the daemon reads its config; the directory goes with it.
struct KeyFile {
    explicit KeyFile(const std::string& secret = "a shared secret");
    ~KeyFile();
    KeyFile(const KeyFile&) = delete;
    KeyFile& operator=(const KeyFile&) = delete;
    std::string dir, path;
};
// Two STAMP reflectors on loopback: `stamp` with `keys`, and `stamp-auth`
// requiring `key` with `auth_keys` (lines ending in a newline each).
std::string stamp_pair(const KeyFile& key, const std::string& keys, const std::string& auth_keys);
// Built with AddressSanitizer (which cannot run under an address-space limit).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif
std::string env_or(const char* name, const char* fallback);
// The environment for a daemon whose RSS a test bounds. Under AddressSanitizer
// what the daemon frees stays resident in ASan's quarantine (up to 256 MiB),
// so RSS would grow with the work done (every scrape, every queue chunk)
// rather than with what the daemon holds; this daemon runs without it.
inline std::vector<std::string> env_without_quarantine() {
    if (!kSanitized) return {};
    std::string asan = env_or("ASAN_OPTIONS", "");
    return {"ASAN_OPTIONS=" + asan + ":quarantine_size_mb=0"};
}
std::string slurp(const std::string& path);
// Says on stderr that a wait of kPatienceMs or more ran out: a hang, not a
// slow machine. Shorter waits (checks that something does not happen) stay
// silent.
void report_expired(int timeout_ms, const std::string& what);

template <class Predicate>
bool eventually(Predicate done, int timeout_ms) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        if (done()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace harness

// The topic headers: each includes this one, which their use of it needs
// above this point.
#include "http_reader.h"
#include "notify_sink.h"
#include "protect.h"
#include "raw_control_client.h"
