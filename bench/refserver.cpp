// SPDX-License-Identifier: BSD-2-Clause
// refserver: the "what one core can do" reference for the benchmarks. A bare,
// single-threaded epoll server with no limits, logging or configuration:
//   refserver echo PORT       TCP echo: one read per wakeup into a large
//                             buffer, written straight back
//   refserver time PORT       RFC 868: 4 bytes, then close
//   refserver udp-echo PORT   recvfrom/sendto
// It listens on 127.0.0.1 only. Anything smalld does beyond this costs
// whatever the benchmark shows.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

constexpr size_t kBufferSize = 256 * 1024;
constexpr int kMaxEvents = 256;
constexpr uint32_t kRfc868Epoch = 2208988800u;  // 1900-01-01 to 1970-01-01

volatile sig_atomic_t g_stop = 0;
void on_stop(int) {
    g_stop = 1;
}

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "refserver: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

int bound_socket(int type, uint16_t port) {
    int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) die("bind 127.0.0.1");
    if (type == SOCK_STREAM && listen(fd, 4096) != 0) die("listen");
    return fd;
}

// Adds (EPOLL_CTL_ADD) or changes (EPOLL_CTL_MOD) what epfd waits for on fd.
void watch(int epfd, int op, int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    epoll_ctl(epfd, op, fd, &ev);
}

// Bytes an echo connection could not write yet. While any are pending the
// connection is not read, so a client that does not read stalls only itself.
using Pending = std::unordered_map<int, std::vector<char>>;

void close_conn(int epfd, int fd, Pending& pending) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nullptr);
    pending.erase(fd);
    close(fd);
}

void accept_all(int epfd, int listener, bool is_time) {
    for (;;) {
        int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) return;
            if (errno == EMFILE || errno == ENFILE) return;  // retried on the next wakeup
            die("accept4");
        }
        if (is_time) {
            const uint32_t seconds = htonl(static_cast<uint32_t>(time(nullptr)) + kRfc868Epoch);
            ssize_t ignored = write(fd, &seconds, sizeof seconds);
            (void)ignored;
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        watch(epfd, EPOLL_CTL_ADD, fd, EPOLLIN);
    }
}

void echo_ready(int epfd, int fd, uint32_t events, char* buffer, Pending& pending) {
    auto waiting = pending.find(fd);
    if (waiting != pending.end()) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
        std::vector<char>& rest = waiting->second;
        ssize_t n = send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN) return close_conn(epfd, fd, pending);
        if (n > 0) rest.erase(rest.begin(), rest.begin() + n);
        if (!rest.empty()) return;
        pending.erase(waiting);
        watch(epfd, EPOLL_CTL_MOD, fd, EPOLLIN);
        return;
    }
    ssize_t got = recv(fd, buffer, kBufferSize, 0);
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
        return close_conn(epfd, fd, pending);
    if (got < 0) return;
    ssize_t sent = send(fd, buffer, static_cast<size_t>(got), MSG_NOSIGNAL);
    if (sent < 0 && errno != EAGAIN) return close_conn(epfd, fd, pending);
    if (sent < 0) sent = 0;
    if (sent == got) return;
    pending[fd].assign(buffer + sent, buffer + got);
    watch(epfd, EPOLL_CTL_MOD, fd, EPOLLOUT);
}

void serve_tcp(uint16_t port, bool is_time) {
    const int listener = bound_socket(SOCK_STREAM, port);
    const int epfd = epoll_create1(EPOLL_CLOEXEC);
    watch(epfd, EPOLL_CTL_ADD, listener, EPOLLIN);
    std::vector<char> buffer(kBufferSize);
    Pending pending;
    epoll_event events[kMaxEvents];
    while (!g_stop) {
        int ready = epoll_wait(epfd, events, kMaxEvents, -1);
        for (int i = 0; i < ready; ++i) {
            const int fd = events[i].data.fd;
            if (fd == listener) {
                accept_all(epfd, listener, is_time);
            } else {
                echo_ready(epfd, fd, events[i].events, buffer.data(), pending);
            }
        }
    }
}

void serve_udp_echo(uint16_t port) {
    const int fd = bound_socket(SOCK_DGRAM, port);
    const int epfd = epoll_create1(EPOLL_CLOEXEC);
    watch(epfd, EPOLL_CTL_ADD, fd, EPOLLIN);
    std::vector<char> buffer(65536);
    epoll_event events[1];
    while (!g_stop) {
        if (epoll_wait(epfd, events, 1, -1) <= 0) continue;
        for (;;) {
            sockaddr_storage peer{};
            socklen_t peer_len = sizeof peer;
            ssize_t n = recvfrom(fd, buffer.data(), buffer.size(), 0,
                                 reinterpret_cast<sockaddr*>(&peer), &peer_len);
            if (n < 0) break;
            sendto(fd, buffer.data(), static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&peer),
                   peer_len);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    const char* usage = "usage: refserver echo|time|udp-echo PORT\n";
    if (argc != 3) {
        std::fputs(usage, stderr);
        return 2;
    }
    const std::string_view mode = argv[1];
    char* end = nullptr;
    const long port = std::strtol(argv[2], &end, 10);
    if (*end != '\0' || port < 1 || port > 65535) {
        std::fputs(usage, stderr);
        return 2;
    }
    struct sigaction action {};
    action.sa_handler = on_stop;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    signal(SIGPIPE, SIG_IGN);
    if (mode == "echo") {
        serve_tcp(static_cast<uint16_t>(port), false);
    } else if (mode == "time") {
        serve_tcp(static_cast<uint16_t>(port), true);
    } else if (mode == "udp-echo") {
        serve_udp_echo(static_cast<uint16_t>(port));
    } else {
        std::fputs(usage, stderr);
        return 2;
    }
    return 0;
}
