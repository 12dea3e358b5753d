// SPDX-License-Identifier: BSD-2-Clause
// What a network client sees (privacy.h): the live page (as served, so as a
// browser without JavaScript shows it), /stats.json, /events and the status
// service show no file path, no quoted configuration text and no address of
// another client, unless the client is in a `details` list. The setting: a
// drop-in with a secret-looking value in the wrong key fails a reload, and a
// session from another client (127.0.0.9) is open. The control socket keeps
// every detail.
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.h"

#include "../cmocka.hpp"

using namespace harness;
using Ctl = harness::ControlClient;
using json = nlohmann::json;

namespace {

constexpr const char* kViewer = "127.0.0.5";    // not in any details list
constexpr const char* kTrusted = "127.0.0.2";   // in the details lists when they are set
constexpr const char* kOther = "127.0.0.9";     // another client, with a live session
constexpr const char* kRefused = "127.0.0.10";  // denied by the echo instance
constexpr const char* kSecret = "hunter2-s3cret";
constexpr const char* kPublicReload = "failed: 1 error; see smallctl status or the log";

std::string config(const std::string& details = "") {
    std::string line = details.empty() ? "" : "details = " + details + "\n";
    return "[daemon]\nlog_level = info\nlog_connections = no\n"
           "[control]\nsocket = @DIR@/control.sock\n"
           "[metrics]\nlisten = 127.0.0.1:0\n" +
           line + "[status]\ntcp = 127.0.0.1:0\nudp = 127.0.0.1:0\nrate = 0/s\nper_source = 0\n" +
           line +
           "[echo]\ntcp = 127.0.0.1:0\nrate = 0/s\nper_source = 0\n"
           "deny = " +
           kRefused + "\n";
}

std::string dropin(const TestDaemon& d) {
    return d.config_path() + ".d/50-secret.ini";
}

// A drop-in whose misplaced secret fails the reload, quoted in the error.
void fail_a_reload(const TestDaemon& d) {
    mkdir((d.config_path() + ".d").c_str(), 0700);
    std::ofstream(dropin(d)) << "[echo]\nidle_timeout = " << kSecret << "\n";
    size_t mark = d.log_size();
    d.signal(SIGHUP);
    assert_true(d.wait_for_log("reload failed", kPatienceMs, mark));
}

// GET `path` from source address `from`, the whole body.
std::string get(uint16_t port, const char* from, const std::string& path) {
    int fd = protect::tcp_connect_from(from, "127.0.0.1", port);
    assert_true(fd >= 0);
    assert_true(send_all(fd, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    std::string buffer;
    harness::HttpResponse r = harness::read_response(fd, buffer, false);
    close(fd);
    assert_string_equal(r.status_line.c_str(), "HTTP/1.1 200 OK");
    return r.body;
}

std::string status_tcp(const TestDaemon& d, const char* from) {
    std::string report = protect::status_text(d, from);
    assert_true(report.starts_with("smalld "));
    return report;
}

std::string status_udp(const TestDaemon& d, const char* from) {
    auto report = protect::udp_ask_from(from, 0, "127.0.0.1", d.port("status", "udp"),
                                        std::string(2000, 'x'));
    assert_true(report.has_value());
    return *report;
}

// An /events stream from `from`: its bytes so far.
struct Events {
    int fd = -1;
    std::string bytes;
    Events(uint16_t port, const char* from) {
        fd = protect::tcp_connect_from(from, "127.0.0.1", port);
        assert_true(fd >= 0);
        assert_true(send_all(fd, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert_true(wait_for(": smalld events"));  // subscribed
    }
    ~Events() {
        if (fd >= 0) close(fd);
    }
    Events(const Events&) = delete;
    Events& operator=(const Events&) = delete;
    // Reads until `text` arrived at or after byte `from`; false on timeout.
    bool wait_for(const std::string& text, size_t from = 0) {
        return harness::read_until(fd, bytes, text, from);
    }
};

// A session from another client, open while the views are taken.
int other_client_session(const TestDaemon& d) {
    int fd = protect::tcp_connect_from(kOther, "127.0.0.1", d.port("echo", "tcp"));
    assert_true(fd >= 0);
    assert_true(protect::echoes(fd));
    return fd;
}

// What of the operator's details `text` shows: every one, and the text
// around the first; empty when none.
std::string leaks(const TestDaemon& d, const std::string& what, const std::string& text) {
    std::string shown;
    size_t first = std::string::npos;
    for (const std::string& detail :
         {dropin(d), d.dir(), std::string("50-secret.ini"), std::string(kSecret),
          std::string(kOther), std::string(kRefused)}) {
        size_t at = text.find(detail);
        if (at == std::string::npos) continue;
        shown += (shown.empty() ? "\"" : ", \"") + detail + "\"";
        first = std::min(first, at);
    }
    if (shown.empty()) return "";
    size_t from = first > 120 ? first - 120 : 0;
    return what + " shows " + shown + ": ..." + text.substr(from, 300) + "...\n";
}

void assert_private(const TestDaemon& d, const std::string& what, const std::string& text) {
    std::string shown = leaks(d, what, text);
    if (!shown.empty()) fail_msg("%s", shown.c_str());
}

void assert_detailed(const std::string& what, const std::string& text,
                     const std::vector<std::string>& details) {
    for (const auto& detail : details)
        if (text.find(detail) == std::string::npos)
            fail_msg("%s does not show \"%s\":\n%s", what.c_str(), detail.c_str(), text.c_str());
}

}  // namespace

// The case: the page (without JavaScript: what the server renders),
// /stats.json and the status service, from an address no list names.
static void page_stats_and_status_hide_details(void**) {
    TestDaemon d(config());
    assert_true(d.started());
    uint16_t metrics = protect::metrics_port(d);
    int other = other_client_session(d);
    fail_a_reload(d);

    std::string page = get(metrics, kViewer, "/");
    std::string stats = get(metrics, kViewer, "/stats.json");
    std::string shown = leaks(d, "the page", page) + leaks(d, "/stats.json", stats) +
                        leaks(d, "the status service over TCP", status_tcp(d, kViewer)) +
                        leaks(d, "the status service over UDP", status_udp(d, kViewer));
    if (!shown.empty()) fail_msg("%s", shown.c_str());
    // What they do say: that the reload failed, how often, where to look;
    // the other client's session, without its address.
    assert_detailed("the page", page, {kPublicReload});
    json snapshot = json::parse(stats);
    assert_string_equal(snapshot["daemon"]["last_reload"].get<std::string>().c_str(),
                        kPublicReload);
    assert_int_equal(snapshot["sessions_open"].get<int>(), 1);
    assert_false(snapshot["sessions"][0].contains("peer"));

    // The control socket keeps everything.
    json status = Ctl(d.control_socket()).request("status");
    assert_detailed("the control socket", status.dump(), {dropin(d), kSecret});
    json conns = Ctl(d.control_socket()).request("conns");
    assert_detailed("the control socket", conns.dump(), {kOther});
    close(other);
}

// The event stream of an address no list names: a session of another
// client, a refusal, a failed reload.
static void event_stream_hides_details(void**) {
    TestDaemon d(config());
    assert_true(d.started());
    uint16_t metrics = protect::metrics_port(d);
    Events events(metrics, kViewer);
    int other = other_client_session(d);
    assert_true(events.wait_for("\"session_open\""));
    int refused = protect::tcp_connect_from(kRefused, "127.0.0.1", d.port("echo", "tcp"));
    assert_true(refused >= 0);
    assert_true(protect::closed_at_once(refused));
    close(refused);
    assert_true(events.wait_for("\"rejected\""));
    fail_a_reload(d);
    assert_true(events.wait_for("\"reload\""));
    assert_true(events.wait_for("\n\n"));  // the whole event
    assert_private(d, "/events", events.bytes);
    assert_true(events.wait_for("1 error; see smallctl status or the log"));

    close(other);
}

// A reload that succeeds names what it changed, a path among them: the
// stream of an address no list names gets a count.
static void reload_changes_are_counted_on_events(void**) {
    TestDaemon d(config());
    assert_true(d.started());
    Events events(protect::metrics_port(d), kViewer);
    // A reload that succeeds names what it changed: a path among them.
    std::string quotes = d.dir() + "/private-quotes.txt";
    std::ofstream(quotes) << "a quote\n";
    std::ofstream(quotes + ".new") << "another quote\n";
    d.write_config(config() + "[qotd]\ntcp = 127.0.0.1:0\nquotes = " + quotes + "\n");
    assert_true(Ctl(d.control_socket()).request("reload")["ok"] == true);
    assert_true(events.wait_for("\"ok\":true"));
    d.write_config(config() + "[qotd]\ntcp = 127.0.0.1:0\nquotes = " + quotes + ".new\n");
    size_t before = events.bytes.size();
    json reply = Ctl(d.control_socket()).request("reload");
    assert_true(reply["ok"] == true);
    // The control socket's reply names it.
    assert_detailed("the reload's reply", reply.dump(),
                    {"[qotd] quotes: " + quotes + " -> " + quotes + ".new"});
    assert_true(events.wait_for("\"reload\"", before));
    assert_true(events.wait_for("\n\n", events.bytes.find("\"reload\"", before)));
    std::string after = events.bytes.substr(before);
    if (after.find("private-quotes") != std::string::npos ||
        after.find("[qotd]") != std::string::npos)
        fail_msg("/events shows the reload's changes:\n%s", after.c_str());
    assert_detailed("/events", after, {"1 change; see the log"});
    assert_private(d, "/events", events.bytes);
}

// A client in the details lists sees everything; on the same daemon, one
// that is not sees nothing.
static void details_lists_show_everything(void**) {
    TestDaemon d(config(std::string(kTrusted) + "/32, ::1"));
    assert_true(d.started());
    uint16_t metrics = protect::metrics_port(d);
    Events trusted_events(metrics, kTrusted);
    Events viewer_events(metrics, kViewer);
    int other = other_client_session(d);
    fail_a_reload(d);
    assert_true(trusted_events.wait_for("\"reload\""));
    assert_true(viewer_events.wait_for("\"reload\""));

    std::vector<std::string> all = {dropin(d) + ":2", kSecret};
    assert_detailed("the page", get(metrics, kTrusted, "/"), {dropin(d), kSecret, kOther});
    assert_detailed("/stats.json", get(metrics, kTrusted, "/stats.json"),
                    {dropin(d), kSecret, kOther});
    assert_detailed("/events", trusted_events.bytes, {dropin(d), kSecret, kOther});
    assert_detailed("the status service over TCP", status_tcp(d, kTrusted), all);
    assert_detailed("the status service over UDP", status_udp(d, kTrusted), all);

    assert_private(d, "the page", get(metrics, kViewer, "/"));
    assert_private(d, "/stats.json", get(metrics, kViewer, "/stats.json"));
    assert_private(d, "/events", viewer_events.bytes);
    assert_private(d, "the status service over TCP", status_tcp(d, kViewer));
    close(other);

    // A reload that empties the lists applies at once, to an open stream too.
    // Every event before the reload read: the other client's session closed.
    std::string echo_session = std::string("\"instance\":\"echo\",\"peer\":\"") + kOther;
    assert_true(trusted_events.wait_for(echo_session));
    assert_true(trusted_events.wait_for(echo_session, trusted_events.bytes.find(echo_session) + 1));
    unlink(dropin(d).c_str());
    d.write_config(config());
    assert_true(Ctl(d.control_socket()).request("reload")["ok"] == true);
    size_t before = trusted_events.bytes.size();
    int again = other_client_session(d);
    assert_true(trusted_events.wait_for("\"session_open\"", before));
    assert_true(trusted_events.wait_for("\n\n", trusted_events.bytes.find("session_open", before)));
    assert_private(d, "/events after the reload", trusted_events.bytes.substr(before));
    assert_private(d, "the page after the reload", get(metrics, kTrusted, "/"));
    close(again);
}

int main() {
    if (!protect::enter_private_network()) return 77;
    return run_test_group({cmocka_unit_test(page_stats_and_status_hide_details),
                           cmocka_unit_test(event_stream_hides_details),
                           cmocka_unit_test(reload_changes_are_counted_on_events),
                           cmocka_unit_test(details_lists_show_everything)});
}
