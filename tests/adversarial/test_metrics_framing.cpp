// SPDX-License-Identifier: BSD-2-Clause
// HTTP/1.1 framing of the metrics endpoint over a raw socket: HEAD sends the
// headers a GET would (its Content-Length too) and no body, so the next
// response on a keep-alive connection parses; every response is framed by a
// Content-Length or by closing the connection.
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

#include "../cmocka.hpp"

using namespace harness;
using harness::HttpResponse;
using harness::read_response;

namespace {

const std::string kConfig = protect::config_head() + "[metrics]\nlisten = 127.0.0.1:0\n";

void expect_metrics(const HttpResponse& r, bool head) {
    if (r.status_line != "HTTP/1.1 200 OK") fprintf(stderr, "got \"%s\"\n", r.status_line.c_str());
    assert_str_eq(r.status_line, "HTTP/1.1 200 OK");
    assert_true(r.complete);
    assert_true(r.headers.count("content-length") == 1);
    size_t length = std::stoul(r.headers.at("content-length"));
    assert_true(length > 100);
    if (head) {
        assert_true(r.body.empty());
    } else {
        assert_int_equal(r.body.size(), length);
        assert_true(r.body.rfind("# HELP ", 0) == 0);
    }
}

void head_then_get_on_one_connection(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    int fd = tcp_connect(protect::metrics_port(d));
    assert_true(fd >= 0);
    std::string buffer;
    assert_true(send_all(fd, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
    HttpResponse head = read_response(fd, buffer, true);
    expect_metrics(head, true);
    // Nothing follows the headers of a HEAD reply.
    usleep(harness::kQuietMs * 1000);
    char byte;
    ssize_t extra = recv(fd, &byte, 1, MSG_DONTWAIT);
    assert_true(buffer.empty() && extra < 0 && errno == EAGAIN);
    assert_true(send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
    HttpResponse get = read_response(fd, buffer, false);
    expect_metrics(get, false);
    // The HEAD announced the length a GET has (a few counters move between).
    double ratio = double(std::stoul(head.headers["content-length"])) / double(get.body.size());
    assert_true(ratio > 0.9 && ratio < 1.1);
    close(fd);
}

void pipelined_requests_each_get_a_framed_reply(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    int fd = tcp_connect(protect::metrics_port(d));
    assert_true(fd >= 0);
    assert_true(send_all(fd,
                         "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
                         "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
                         "HEAD /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
                         "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::string buffer;
    expect_metrics(read_response(fd, buffer, true), true);
    HttpResponse missing = read_response(fd, buffer, false);
    assert_str_eq(missing.status_line, "HTTP/1.1 404 Not Found");
    assert_true(missing.framed && missing.complete);
    HttpResponse missing_head = read_response(fd, buffer, true);
    assert_str_eq(missing_head.status_line, "HTTP/1.1 404 Not Found");
    assert_true(missing_head.headers.count("content-length") == 1);
    expect_metrics(read_response(fd, buffer, false), false);
    // A method the endpoint does not serve: 405 with Allow, framed.
    assert_true(send_all(fd, "DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
    HttpResponse refused = read_response(fd, buffer, false);
    assert_str_eq(refused.status_line, "HTTP/1.1 405 Method Not Allowed");
    assert_true(refused.framed && refused.complete);
    assert_str_eq(refused.headers["allow"], "GET, HEAD");
    close(fd);
}

void http10_and_bad_requests_are_framed(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    uint16_t port = protect::metrics_port(d);
    // HTTP/1.0 without keep-alive: framed, then closed.
    int fd = tcp_connect(port);
    assert_true(send_all(fd, "GET /metrics HTTP/1.0\r\n\r\n"));
    std::string buffer;
    HttpResponse r = read_response(fd, buffer, false);
    assert_str_eq(r.status_line, "HTTP/1.0 200 OK");
    assert_true(r.framed && r.complete);
    assert_true(recv_until_eof(fd, 1024).empty() && buffer.empty());
    close(fd);
    // Garbage: a framed 400, then the connection closes.
    fd = tcp_connect(port);
    assert_true(send_all(fd, "this is not http\r\n\r\n"));
    buffer.clear();
    r = read_response(fd, buffer, false);
    assert_str_eq(r.status_line, "HTTP/1.1 400 Bad Request");
    assert_true(r.framed && r.complete);
    close(fd);
    // A request with a body the endpoint does not take: refused, framed, closed.
    fd = tcp_connect(port);
    assert_true(
        send_all(fd, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"));
    buffer.clear();
    r = read_response(fd, buffer, false);
    assert_true(r.status_line.rfind("HTTP/1.1 4", 0) == 0);
    assert_true(r.framed && r.complete);
    close(fd);
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(head_then_get_on_one_connection),
                           cmocka_unit_test(pipelined_requests_each_get_a_framed_reply),
                           cmocka_unit_test(http10_and_bad_requests_are_framed)});
}
