// SPDX-License-Identifier: BSD-2-Clause
// Who may use the [metrics] listener, and what of it: `allow` refuses every
// other source with 403 (before it sends a byte of a request) and counts it;
// `page_sessions = no` keeps the live sessions off the page, /stats.json and
// /events (whose other events still come); a reload to `page = no` makes the
// page, its assets, /stats.json and /events answer 404 while /metrics and
// /healthz stay, and a reload of `allow` admits a source at once. One daemon.
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

#include "harness.h"

#include "../cmocka.hpp"

using namespace harness;
using Ctl = harness::ControlClient;
using json = nlohmann::json;

namespace {

constexpr const char* kAdmitted = "127.0.0.1";
constexpr const char* kOutsider = "127.0.0.5";  // not in [metrics] allow at first
constexpr const char* kClient = "127.0.0.9";    // an echo client with a live session
constexpr const char* kRefused = "127.0.0.10";  // denied by the echo instance

std::string config(const std::string& metrics) {
    return "[daemon]\nlog_connections = no\n[control]\nsocket = @DIR@/control.sock\n"
           "[metrics]\nlisten = 127.0.0.1:0\n" +
           metrics +
           "[echo]\ntcp = 127.0.0.1:0\nrate = 0/s\nper_source = 0\n"
           "deny = " +
           kRefused + "\n";
}

harness::HttpResponse fetch(uint16_t port, const char* from, const std::string& path) {
    int fd = protect::tcp_connect_from(from, "127.0.0.1", port);
    assert_true(fd >= 0);
    (void)send_all(fd, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::string buffer;
    harness::HttpResponse r = harness::read_response(fd, buffer, false);
    close(fd);
    return r;
}

void expect_status(uint16_t port, const char* from, const std::string& path, const char* status) {
    std::string got = fetch(port, from, path).status_line;
    if (got != status)
        fail_msg("GET %s from %s: \"%s\", expected \"%s\"", path.c_str(), from, got.c_str(),
                 status);
}

}  // namespace

static void allow_page_and_page_sessions(void**) {
    TestDaemon d(config("allow = 127.0.0.1/32\npage_sessions = no\n"));
    assert_true(d.started());
    uint16_t port = protect::metrics_port(d);
    assert_true(port != 0);

    // allow: a source outside it is refused before its request, and counted.
    expect_status(port, kOutsider, "/metrics", "HTTP/1.1 403 Forbidden");
    harness::HttpResponse metrics = fetch(port, kAdmitted, "/metrics");
    assert_string_equal(metrics.status_line.c_str(), "HTTP/1.1 200 OK");
    assert_non_null(strstr(metrics.body.c_str(), "smalld_metrics_connections_refused_total 1\n"));

    // page_sessions = no: the stream carries a refusal, and no session.
    int events = protect::tcp_connect_from(kAdmitted, "127.0.0.1", port);
    assert_true(events >= 0);
    assert_true(send_all(events, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::string stream;
    assert_true(harness::read_until(events, stream, ": smalld events"));
    int client = protect::tcp_connect_from(kClient, "127.0.0.1", d.port("echo", "tcp"));
    assert_true(client >= 0);
    assert_true(protect::echoes(client));
    int refused = protect::tcp_connect_from(kRefused, "127.0.0.1", d.port("echo", "tcp"));
    assert_true(refused >= 0);
    assert_true(protect::closed_at_once(refused));
    close(refused);
    assert_true(harness::read_until(events, stream, "\"rejected\""));
    if (stream.find("session_") != std::string::npos)
        fail_msg("/events carries sessions with page_sessions = no:\n%s", stream.c_str());
    // ... nor the page or /stats.json, while one is open.
    json snapshot = json::parse(fetch(port, kAdmitted, "/stats.json").body);
    assert_false(snapshot.contains("sessions"));
    assert_false(snapshot.contains("sessions_open"));
    std::string page = fetch(port, kAdmitted, "/").body;
    assert_non_null(strstr(page.c_str(), "id=\"instances\""));
    assert_null(strstr(page.c_str(), "id=\"sessions\""));
    close(client);
    close(events);

    // A reload: page = no, and allow now admits the outsider.
    d.write_config(config("allow = 127.0.0.0/8\npage = no\n"));
    assert_true(Ctl(d.control_socket()).request("reload")["ok"] == true);
    // (Each from an address of its own: a source's closed connections may
    // still count against its cap of four for a moment.)
    expect_status(port, kOutsider, "/metrics", "HTTP/1.1 200 OK");
    expect_status(port, "127.0.0.20", "/healthz", "HTTP/1.1 200 OK");
    int source = 21;
    for (const char* path : {"/", "/favicon.svg", "/stats.json", "/events"})
        expect_status(port, ("127.0.0." + std::to_string(source++)).c_str(), path,
                      "HTTP/1.1 404 Not Found");
}

int main() {
    if (!protect::enter_private_network()) return 77;
    return run_test_group({cmocka_unit_test(allow_page_and_page_sessions)});
}
