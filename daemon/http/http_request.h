// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// HTTP/1.x for the metrics endpoint, without I/O: a request-head parser that
// answers done / bad / need-more, and the one reply builder, which frames
// every reply with Content-Length (HEAD included: the length a GET would
// have, and no body).

#include <cstddef>
#include <string>
#include <string_view>

namespace smalld {

struct HttpRequest {
    std::string method;
    std::string target;
    int minor = 1;  // HTTP/1.minor
    bool keep_alive = true;
    bool has_body = false;      // Content-Length above 0, or Transfer-Encoding
    std::string last_event_id;  // an event stream's Last-Event-ID, to resume from
};

struct HttpParse {
    enum class Status { NeedMore, Done, Bad } status = Status::NeedMore;
    size_t consumed = 0;  // Done: bytes of the head, the blank line included
    HttpRequest request;
    int error_status = 0;  // Bad: 400, 431 or 505
};

// Parses the request head at the start of `data` (CRLF or bare LF line ends).
// A head longer than `max_head` bytes is Bad (431) even before it ends.
HttpParse parse_http_request(std::string_view data, size_t max_head);

struct HttpReply {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string extra_headers;  // "Name: value\r\n" lines
    std::string body;
    bool close = false;  // the server closes after this reply
    // A stream (server-sent events): no Content-Length, the body goes on
    // until the server closes.
    bool stream = false;
};

// What the endpoint answers: GET and HEAD of the paths `answer` knows (query
// ignored), 404 elsewhere, 405 for other methods, 413 for requests with a
// body (closed, since the body is not read). `answer(path, reply)` fills the
// reply of a known path and returns true; false means not found.
template <typename Answer>
HttpReply route_http_request(const HttpRequest& request, Answer&& answer);

// The bytes on the wire. `head`: headers only. A stream's headers say
// "Connection: close" and give no length. `minor`: the request's HTTP
// version (1.0 replies say HTTP/1.0). `keep_alive`: false adds "Connection:
// close"; an HTTP/1.0 client that asked for keep-alive is told so.
std::string serialize_http_reply(const HttpReply& reply, int minor, bool head, bool keep_alive);

const char* http_reason(int status);

template <typename Answer>
HttpReply route_http_request(const HttpRequest& request, Answer&& answer) {
    HttpReply reply;
    bool readable = request.method == "GET" || request.method == "HEAD";
    std::string_view path = request.target;
    path = path.substr(0, path.find('?'));
    if (!readable) {
        reply.status = 405;
        reply.extra_headers = "Allow: GET, HEAD\r\n";
        reply.body = "method not allowed; use GET or HEAD\n";
    } else if (request.has_body) {
        reply.status = 413;
        reply.body = "a request body is not accepted here\n";
    } else if (!answer(path, reply)) {
        reply = HttpReply{};
        reply.status = 404;
        reply.body = "not found; try / or /metrics\n";
    }
    // The body of a refused request is not read: the connection cannot go on.
    reply.close = reply.close || request.has_body;
    return reply;
}

}  // namespace smalld
