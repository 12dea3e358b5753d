// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Part of harness.h (include that): a bounded HTTP/1.1 response reader and a
// stream reader for the HTTP endpoint's tests. Every wait is bounded.

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string>

#include "harness.h"

namespace harness {

// One HTTP response read from a connection that may carry more after it.
struct HttpResponse {
    std::string status_line;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
    bool framed = false;  // Content-Length, or the connection closed after it
    bool complete = false;
};

// Reads one response from `fd`, using and consuming `buffer`. `head`: the
// request was HEAD, so no body follows whatever the headers say.
inline HttpResponse read_response(int fd, std::string& buffer, bool head,
                                  int timeout_ms = harness::kPatienceMs) {
    HttpResponse r;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    bool eof = false;
    auto fill = [&] {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{fd, POLLIN, 0};
        if (left.count() <= 0 || poll(&p, 1, int(left.count())) <= 0) return false;
        char buf[65536];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            eof = true;
            return false;
        }
        buffer.append(buf, size_t(n));
        return true;
    };
    size_t end;
    while ((end = buffer.find("\r\n\r\n")) == std::string::npos)
        if (!fill()) return r;
    std::string head_text = buffer.substr(0, end);
    buffer.erase(0, end + 4);
    size_t eol = head_text.find("\r\n");
    r.status_line = head_text.substr(0, eol);
    while (eol != std::string::npos) {
        size_t start = eol + 2;
        eol = head_text.find("\r\n", start);
        std::string line = head_text.substr(start, eol == std::string::npos ? eol : eol - start);
        size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), ::tolower);
        size_t v = line.find_first_not_of(' ', colon + 1);
        r.headers[name] = v == std::string::npos ? "" : line.substr(v);
    }
    bool closes = r.headers.count("connection") && r.headers["connection"] == "close";
    if (r.headers.count("content-length")) {
        r.framed = true;
        size_t length = head ? 0 : std::stoul(r.headers["content-length"]);
        while (buffer.size() < length)
            if (!fill()) return r;
        r.body = buffer.substr(0, length);
        buffer.erase(0, length);
        r.complete = true;
    } else if (closes || head) {
        r.framed = closes;
        if (!head)
            while (fill()) {
            }
        r.body = head ? "" : buffer;
        if (!head) buffer.clear();
        r.complete = !head ? eof : true;
    }
    return r;
}

// Reads an /events stream (or any socket) into `bytes` until `text` arrived
// at or after byte `from`; false, reported, on timeout or close.
inline bool read_until(int fd, std::string& bytes, const std::string& text, size_t from = 0) {
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(harness::kPatienceMs);
    while (bytes.find(text, from) == std::string::npos) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{fd, POLLIN, 0};
        char buf[16384];
        ssize_t n = 0;
        if (left.count() <= 0 || poll(&p, 1, int(left.count())) <= 0 ||
            (n = recv(fd, buf, sizeof buf, 0)) <= 0) {
            harness::report_expired(harness::kPatienceMs, "\"" + text + "\" on the stream");
            return false;
        }
        bytes.append(buf, size_t(n));
    }
    return true;
}

}  // namespace harness
