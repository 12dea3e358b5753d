// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Part of harness.h (include that): clients bound to a chosen source address
// or port, "was this connection refused" checks, the counters of the status
// service's report and of `smallctl -j stats`, a private network namespace.
// Every wait is bounded.

#include <arpa/inet.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>
#include <algorithm>

#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace protect {

using Clock = std::chrono::steady_clock;

inline sockaddr_storage make_addr(const char* ip, uint16_t port, socklen_t* len) {
    sockaddr_storage ss{};
    if (strchr(ip, ':')) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        a->sin6_family = AF_INET6;
        inet_pton(AF_INET6, ip, &a->sin6_addr);
        a->sin6_port = htons(port);
        *len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&ss);
        a->sin_family = AF_INET;
        inet_pton(AF_INET, ip, &a->sin_addr);
        a->sin_port = htons(port);
        *len = sizeof *a;
    }
    return ss;
}

using harness::wait_fd;

// A TCP client from source address `from` (port chosen by the kernel) to
// `to`:`port`; -1 when the connection did not complete in time.
inline int tcp_connect_from(const char* from, const char* to, uint16_t port,
                            int timeout_ms = harness::kPatienceMs, int rcvbuf = 0) {
    socklen_t slen, dlen;
    sockaddr_storage src = make_addr(from, 0, &slen);
    sockaddr_storage dst = make_addr(to, port, &dlen);
    int fd = socket(dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    // Before connect, so the advertised window stays small too.
    if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    if (bind(fd, reinterpret_cast<sockaddr*>(&src), slen) != 0) {
        close(fd);
        return -1;
    }
    return harness::finish_connect(fd, reinterpret_cast<sockaddr*>(&dst), dlen, timeout_ms);
}

// A client of `port` on loopback with a 4 KiB receive buffer, for one that
// never reads: the daemon's output to it stalls after a few KiB.
inline int connect_non_reader(uint16_t port) {
    return tcp_connect_from("127.0.0.1", "127.0.0.1", port, harness::kPatienceMs, 4096);
}

// True when the daemon closed (or reset) the connection without sending
// anything. "At once" is what the configurations make of it: every daemon in
// these tests keeps an unrefused session open far longer (idle_timeout 60 s
// by default) than this waits.
inline bool closed_at_once(int fd, int timeout_ms = harness::kPatienceMs) {
    if (!wait_fd(fd, POLLIN, timeout_ms)) {
        harness::report_expired(timeout_ms, "the daemon to close a refused connection");
        return false;
    }
    char c;
    ssize_t n = recv(fd, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

// Sends a probe on an echo connection; true when it came back.
inline bool echoes(int fd, int timeout_ms = harness::kPatienceMs) {
    if (!harness::send_all(fd, "ping\n", timeout_ms)) return false;
    return harness::recv_exactly(fd, 5, timeout_ms) == "ping\n";
}

// One TCP session to an echo's `port`, closed after: true when it echoed a
// probe.
inline bool served(uint16_t port) {
    int fd = harness::tcp_connect(port);
    bool echoed = echoes(fd);
    if (fd >= 0) close(fd);
    return echoed;
}

// One TCP session from `from` to `to`:`port`, closed after: true when it
// was served (echoed a probe), or refused (closed at once), as asked.
inline bool served_from(const char* from, const char* to, uint16_t port) {
    int fd = tcp_connect_from(from, to, port);
    bool served = fd >= 0 && echoes(fd);
    if (fd >= 0) close(fd);
    return served;
}
inline bool refused_from(const char* from, const char* to, uint16_t port) {
    int fd = tcp_connect_from(from, to, port);
    bool refused = fd >= 0 && closed_at_once(fd);
    if (fd >= 0) close(fd);
    return refused;
}

// A UDP socket bound to `from`:`port` (0 = any port).
inline int udp_socket(const char* from, uint16_t port = 0) {
    socklen_t len;
    sockaddr_storage src = make_addr(from, port, &len);
    int fd = socket(src.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, reinterpret_cast<sockaddr*>(&src), len) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

// Sends one datagram and waits for one reply; nullopt when none came (a
// zero-length reply is an empty string, not nullopt). Where no reply is the
// expected outcome, pass harness::kQuietMs.
inline std::optional<std::string> udp_ask(int fd, const char* to, uint16_t port,
                                          const std::string& payload,
                                          int timeout_ms = harness::kPatienceMs) {
    socklen_t len;
    sockaddr_storage dst = make_addr(to, port, &len);
    if (sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&dst), len) !=
        static_cast<ssize_t>(payload.size()))
        return std::nullopt;
    if (!wait_fd(fd, POLLIN, timeout_ms)) {
        harness::report_expired(timeout_ms,
                                std::string("a UDP reply from ") + to + ":" + std::to_string(port));
        return std::nullopt;
    }
    std::string buf(65536, '\0');
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<size_t>(n));
    return buf;
}

inline std::optional<std::string> udp_ask_from(const char* from, uint16_t from_port, const char* to,
                                               uint16_t port, const std::string& payload,
                                               int timeout_ms = harness::kPatienceMs) {
    int fd = udp_socket(from, from_port);
    if (fd < 0) return std::nullopt;
    auto reply = udp_ask(fd, to, port, payload, timeout_ms);
    close(fd);
    return reply;
}

// The status report over TCP (the configs name the status instance "status")
// from source address `from` (nullptr: the kernel's choice); "" when it
// could not connect.
inline std::string status_text(const harness::TestDaemon& d, const char* from = nullptr) {
    uint16_t port = d.port("status", "tcp");
    int fd = from ? tcp_connect_from(from, "127.0.0.1", port) : harness::tcp_connect(port);
    if (fd < 0) return {};
    std::string text = harness::recv_until_eof(fd);
    close(fd);
    return text;
}

// One column of an instance's row in the status report:
// 0 tcp open, 1 tcp total, 2 udp in, 3 udp out, 4 refused; -1 when absent.
inline long status_column(const harness::TestDaemon& d, const std::string& instance, int column) {
    std::istringstream lines(status_text(d));
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string name, type;
        words >> name >> type;
        if (name != instance) continue;
        long values[5] = {-1, -1, -1, -1, -1};
        for (long& v : values) words >> v;
        return values[column];
    }
    return -1;
}
inline long refused(const harness::TestDaemon& d, const std::string& instance) {
    return status_column(d, instance, 4);
}
inline long tcp_open(const harness::TestDaemon& d, const std::string& instance) {
    return status_column(d, instance, 0);
}

// `smallctl -j stats` for the daemon (its control socket is @DIR@/control.sock).
inline nlohmann::json stats_json(const harness::TestDaemon& d) {
    auto reply = harness::smallctl_json(d, "stats");
    return reply.is_discarded() ? nlohmann::json() : reply["data"];
}

// One counter of an instance from `smallctl -j stats`: dotted `key` (nested
// objects in the JSON) under the protocol `proto`, and under `reason` when
// given; -1 when absent.
inline long stat(const harness::TestDaemon& d, const std::string& instance, const char* proto,
                 std::string key, const char* reason = nullptr) {
    nlohmann::json data = stats_json(d);
    std::replace(key.begin(), key.end(), '.', '/');
    auto p = nlohmann::json::json_pointer("/instances/" + instance + "/" + proto + "/" + key +
                                          (reason ? std::string("/") + reason : ""));
    return data.contains(p) && data[p].is_number() ? data[p].get<long>() : -1;
}
// TCP connections refused for `reason` (conn.rejected_total).
inline long rejected(const harness::TestDaemon& d, const std::string& instance,
                     const char* reason) {
    return stat(d, instance, "tcp", "conn.rejected_total", reason);
}
// UDP datagrams dropped for `reason` (datagrams_dropped_total).
inline long dropped(const harness::TestDaemon& d, const std::string& instance, const char* reason) {
    return stat(d, instance, "udp", "datagrams_dropped_total", reason);
}

// Waits until `instance` has `want` open TCP sessions.
inline bool wait_tcp_open(const harness::TestDaemon& d, const std::string& instance, long want,
                          int timeout_ms = harness::kPatienceMs) {
    auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    long open = -1;
    do {
        open = tcp_open(d, instance);
        if (open == want) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (Clock::now() < deadline);
    harness::report_expired(timeout_ms, instance + " to have " + std::to_string(want) +
                                            " open TCP sessions (it has " + std::to_string(open) +
                                            ")");
    return false;
}

// The metrics endpoint's port, from its "listening on" line; 0 when absent.
inline uint16_t metrics_port(const harness::TestDaemon& d) {
    std::string log = d.log();
    std::string needle = "metrics: listening on http://127.0.0.1:";
    size_t at = log.find(needle);
    return at == std::string::npos ? 0 : uint16_t(atoi(log.c_str() + at + needle.size()));
}

// The body of GET `path` from the HTTP endpoint on `port`, by curl; `status`,
// when given, is curl's exit status (0: a response came).
inline std::string http_get(uint16_t port, const std::string& path, int* status = nullptr) {
    return harness::run("curl -sS --max-time 60 http://127.0.0.1:" + std::to_string(port) + path,
                        status);
}

inline size_t count(const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
        ++n;
    return n;
}

// One UDP socket of this namespace (/proc/net/udp and udp6): its local
// port, the bytes queued for it, the datagrams the kernel dropped on a full
// buffer, and its inode (/proc/PID/fd/N names it socket:[INODE]).
struct UdpSocketRow {
    uint16_t port = 0;
    long bytes = -1, drops = -1;
    unsigned long inode = 0;
};
inline std::vector<UdpSocketRow> udp_sockets() {
    std::istringstream table(harness::slurp("/proc/net/udp") + harness::slurp("/proc/net/udp6"));
    std::vector<UdpSocketRow> rows;
    std::string line, sl, local, remote, st, queues, skip;
    while (std::getline(table, line)) {
        std::istringstream f(line);
        f >> sl >> local >> remote >> st >> queues;
        size_t colon = local.rfind(':');
        if (colon == std::string::npos || queues.find(':') == std::string::npos) continue;
        UdpSocketRow r;
        r.port = uint16_t(strtol(local.c_str() + colon + 1, nullptr, 16));
        r.bytes = strtol(queues.c_str() + queues.find(':') + 1, nullptr, 16);
        // tr:when, retrnsmt, uid, timeout, then inode, ref, pointer, drops.
        for (int i = 0; i < 4; ++i) f >> skip;
        f >> r.inode >> skip >> skip >> r.drops;
        rows.push_back(r);
    }
    return rows;
}

// Moves the test (and the daemons it starts) into a network namespace of its
// own with lo up (and able to carry multicast): fixed low ports and wildcard
// binds touch nobody else. false, with the reason on stderr, when it cannot
// (not root): the test then exits 77, which CTest shows as skipped.
inline bool enter_private_network() {
    if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0) {
        fprintf(stderr, "skipped: needs root to create a network namespace\n");
        return false;
    }
    int status = 0;
    harness::run("ip link set lo up && ip link set lo multicast on", &status);
    if (status != 0) fprintf(stderr, "skipped: cannot bring up lo in the namespace\n");
    return status == 0;
}

// The common head of every protection test's configuration: a log at info,
// a private control socket, and the status instance for counters.
inline std::string config_head(const std::string& daemon_extra = "") {
    return "[daemon]\nlog_level = info\nlog_connections = no\n" + daemon_extra +
           "\n[control]\nsocket = @DIR@/control.sock\n\n"
           "[status]\ntcp = 127.0.0.1:0\nrate = 0/s\nper_source = 0\n\n";
}

}  // namespace protect
