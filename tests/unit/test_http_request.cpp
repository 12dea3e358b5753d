// SPDX-License-Identifier: BSD-2-Clause
// The metrics endpoint's HTTP/1.x parser and reply framing, without sockets.
#include <cstring>
#include <string>

#include "http_request.h"

#include "../cmocka.hpp"

using namespace smalld;
using Status = HttpParse::Status;

static void complete_heads_parse(void**) {
    std::string text = "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\nGET";
    HttpParse p = parse_http_request(text, 8192);
    assert_true(p.status == Status::Done);
    assert_int_equal(p.consumed, text.size() - 3);
    assert_str_eq(p.request.method, "GET");
    assert_str_eq(p.request.target, "/metrics?x=1");
    assert_int_equal(p.request.minor, 1);
    assert_true(p.request.keep_alive && !p.request.has_body);
    // Bare LF, HTTP/1.0 (close by default, keep-alive when asked).
    p = parse_http_request("HEAD / HTTP/1.0\n\n", 8192);
    assert_true(p.status == Status::Done && !p.request.keep_alive && p.request.minor == 0);
    p = parse_http_request("HEAD / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 8192);
    assert_true(p.status == Status::Done && p.request.keep_alive);
    p = parse_http_request("GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n", 8192);
    assert_true(p.status == Status::Done && !p.request.keep_alive);
    // Leading blank lines are skipped.
    p = parse_http_request("\r\n\r\nGET / HTTP/1.1\r\n\r\n", 8192);
    assert_true(p.status == Status::Done);
}

static void partial_heads_need_more(void**) {
    const std::string text = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
    for (size_t n = 0; n < text.size(); ++n)
        assert_true(parse_http_request(text.substr(0, n), 8192).status == Status::NeedMore);
}

static void bad_heads_are_refused(void**) {
    auto status = [](const std::string& text) {
        HttpParse p = parse_http_request(text, 64);
        return p.status == Status::Bad ? p.error_status : 0;
    };
    assert_int_equal(status("GET /\r\n\r\n"), 400);
    assert_int_equal(status("GET  / HTTP/1.1\r\n\r\n"), 400);
    assert_int_equal(status("G(T / HTTP/1.1\r\n\r\n"), 400);
    assert_int_equal(status("GET / HTTP/2.0\r\n\r\n"), 505);
    assert_int_equal(status("GET / HTTP/1.1\r\nNo colon\r\n\r\n"), 400);
    assert_int_equal(status("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n"), 400);
    assert_int_equal(status("GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"), 400);
    assert_int_equal(status("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
                     400);
    // Too long, ended or not.
    assert_int_equal(status("GET / HTTP/1.1\r\nX: " + std::string(100, 'a')), 431);
    assert_int_equal(status("GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n"), 431);
    HttpParse p = parse_http_request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 64);
    assert_true(p.status == Status::Done && p.request.has_body);
}

static void replies_are_framed(void**) {
    HttpRequest request;
    request.method = "HEAD";
    request.target = "/metrics";
    HttpReply reply = route_http_request(request, [](std::string_view path, HttpReply& r) {
        r.body = std::string(1234, 'm');
        return path == "/metrics";
    });
    assert_int_equal(reply.status, 200);
    std::string head = serialize_http_reply(reply, 1, true, true);
    assert_non_null(strstr(head.c_str(), "\r\nContent-Length: 1234\r\n"));
    assert_true(head.size() >= 4 && head.substr(head.size() - 4) == "\r\n\r\n");
    std::string get = serialize_http_reply(reply, 1, false, true);
    assert_int_equal(get.size(), head.size() + 1234);
    request.method = "PUT";
    reply = route_http_request(request, [](std::string_view, HttpReply&) { return true; });
    assert_int_equal(reply.status, 405);
    std::string refused = serialize_http_reply(reply, 0, false, false);
    assert_true(refused.rfind("HTTP/1.0 405 Method Not Allowed\r\n", 0) == 0);
    assert_non_null(strstr(refused.c_str(), "\r\nAllow: GET, HEAD\r\n"));
    assert_non_null(strstr(refused.c_str(), "\r\nConnection: close\r\n"));
    request.method = "GET";
    request.has_body = true;
    reply = route_http_request(request, [](std::string_view, HttpReply&) { return true; });
    assert_true(reply.status == 413 && reply.close);
}

int main() {
    return run_test_group(
        {cmocka_unit_test(complete_heads_parse), cmocka_unit_test(partial_heads_need_more),
         cmocka_unit_test(bad_heads_are_refused), cmocka_unit_test(replies_are_framed)});
}
