// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// An /events stream of the [metrics] listener (server-sent events) read over a
// raw socket, for the tests of the live endpoints.
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "harness.h"

namespace adversary {

using json = nlohmann::json;
using harness::HttpResponse;
using harness::kPatienceMs;

// A connection from 127.0.0.SOURCE: the endpoint caps connections per source.
// `rcvbuf`: a receive buffer this small (0: the default), set before the
// connection so that the window is small from the start.
inline int connect_from(uint16_t port, int source, int rcvbuf = 0) {
    std::string from = "127.0.0." + std::to_string(source);
    return protect::tcp_connect_from(from.c_str(), "127.0.0.1", port, kPatienceMs, rcvbuf);
}

// `n` echo sessions one after the other, each a line echoed and closed by
// both sides: two events each (session_open, session_close). False when
// one failed.
inline bool echo_sessions(uint16_t port, int n) {
    for (int i = 0; i < n; ++i) {
        int fd = harness::tcp_connect(port);
        if (fd < 0) return false;
        bool echoed = harness::send_all(fd, "ping\n") && harness::recv_exactly(fd, 5) == "ping\n";
        shutdown(fd, SHUT_WR);
        harness::recv_until_eof(fd);
        close(fd);
        if (!echoed) return false;
    }
    return true;
}

// An /events stream: the response's headers read, then its messages.
struct Stream {
    int fd = -1;
    std::string buffer;
    HttpResponse head;

    // `headers`: more request header lines ("Last-Event-ID: 5\r\n").
    explicit Stream(uint16_t port, int source = 1, int rcvbuf = 0,
                    const std::string& headers = "") {
        fd = connect_from(port, source, rcvbuf);
        if (fd < 0 ||
            !harness::send_all(fd, "GET /events HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n"))
            return;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kPatienceMs);
        while (buffer.find("\r\n\r\n") == std::string::npos &&
               std::chrono::steady_clock::now() < deadline)
            if (!fill(kPatienceMs)) break;
        size_t end = buffer.find("\r\n\r\n");
        if (end == std::string::npos) return;
        std::string text = buffer.substr(0, end);
        buffer.erase(0, end + 4);
        head.status_line = text.substr(0, text.find("\r\n"));
        for (const char* name : {"Content-Type", "Content-Length", "Connection"}) {
            size_t at = text.find(std::string("\r\n") + name + ": ");
            if (at == std::string::npos) continue;
            size_t from = at + strlen(name) + 4;
            std::string key = name;
            for (char& ch : key) ch = char(tolower(ch));
            head.headers[key] = text.substr(from, text.find("\r\n", from) - from);
        }
    }
    ~Stream() {
        if (fd >= 0) close(fd);
    }
    bool fill(int timeout_ms) {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, timeout_ms) <= 0) return false;
        char buf[16384];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) return false;
        buffer.append(buf, size_t(n));
        return true;
    }
    // Reads (and keeps) what comes until the daemon ends the stream: true
    // at its close or reset, false when `timeout_ms` passed first.
    bool read_to_end(int timeout_ms = kPatienceMs) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        for (;;) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !harness::wait_fd(fd, POLLIN, int(left.count()))) {
                harness::report_expired(timeout_ms, "the end of the /events stream");
                return false;
            }
            char buf[16384];
            ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
            if (n > 0) buffer.append(buf, size_t(n));
        }
    }
    // Reads until `text` arrived (it stays in the buffer); false on timeout.
    bool wait_for(const std::string& text, int timeout_ms) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        while (buffer.find(text) == std::string::npos) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !fill(int(left.count()))) {
                harness::report_expired(timeout_ms, "\"" + text + "\" on the /events stream");
                return false;
            }
        }
        return true;
    }
    // The next message's fields (comments skipped): its "id:", "event:" and
    // "data:" lines, the data parsed; data null on timeout.
    struct Message {
        std::string id, event;
        json data;
    };
    Message next_message(int timeout_ms = kPatienceMs) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        for (;;) {
            size_t end;
            while ((end = buffer.find("\n\n")) != std::string::npos) {
                std::string text = buffer.substr(0, end + 1);
                buffer.erase(0, end + 2);
                Message m;
                for (size_t at = 0, eol; (eol = text.find('\n', at)) != std::string::npos;
                     at = eol + 1) {
                    std::string line = text.substr(at, eol - at);
                    if (line.rfind("id: ", 0) == 0) m.id = line.substr(4);
                    if (line.rfind("event: ", 0) == 0) m.event = line.substr(7);
                    if (line.rfind("data: ", 0) == 0) m.data = json::parse(line.substr(6));
                }
                if (!m.data.is_null()) return m;
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !fill(int(left.count()))) {
                harness::report_expired(timeout_ms, "a message on the /events stream");
                return {};
            }
        }
    }
    // The next "data:" message as JSON (comments skipped); null on timeout.
    json next(int timeout_ms = kPatienceMs) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        for (;;) {
            size_t end;
            while ((end = buffer.find("\n\n")) != std::string::npos) {
                std::string message = buffer.substr(0, end);
                buffer.erase(0, end + 2);
                size_t data = message.find("data: ");
                if (data != std::string::npos) return json::parse(message.substr(data + 6));
            }
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !fill(int(left.count()))) {
                harness::report_expired(timeout_ms, "a message on the /events stream");
                return nullptr;
            }
        }
    }
};

}  // namespace adversary
