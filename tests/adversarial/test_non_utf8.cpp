// SPDX-License-Identifier: BSD-2-Clause
// Bytes that are not UTF-8 through every place where a string someone
// controls reaches JSON or the log: config values, keys and section names
// quoted in reload errors, the config and control socket paths, a quotes
// file's path and contents, control arguments (raw lines, JSON requests,
// smallctl), the monitor stream, status, stats and Prometheus text. The daemon
// must neither crash nor emit invalid UTF-8; the bad bytes show as \xHH.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "control_request.h"
#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using harness::TestDaemon;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

// Invalid in five ways: bytes never used, an overlong form, a lone
// continuation byte, a UTF-16 surrogate, a sequence cut short.
const std::string kBad =
    std::string("\xff\xfe") + "\xc0\xaf" + "\x80" + "\xed\xa0\x80" + "\xe2\x82";
// What the daemon shows for the first two of them.
const std::string kShown = "\\xff\\xfe";

const std::string kConfig = harness::control_head() + R"(
[metrics]
listen = 127.0.0.1:0
[echo]
tcp = 127.0.0.1:0
rate = 0/s
)";

using Ctl = harness::ControlClient;

// A reply line: valid UTF-8 and a JSON object, or the test fails saying why.
json parse_reply(const std::string& line, const char* what) {
    if (line.empty()) fail_msg("%s: no reply (did the daemon die?)", what);
    if (!smalld::valid_utf8(line)) fail_msg("%s: the reply is not UTF-8: %s", what, line.c_str());
    json j = json::parse(line, nullptr, false);
    if (!j.is_object()) fail_msg("%s: the reply is not a JSON object: %s", what, line.c_str());
    return j;
}

void assert_alive(TestDaemon& d, const char* after) {
    int status = d.wait_exit(0);
    if (status >= 0)
        fail_msg("smalld died after %s (status %d); log:\n%s", after, status, d.log().c_str());
}

void assert_echo_serves(TestDaemon& d) {
    int fd = harness::tcp_connect(d.port("echo", "tcp"));
    assert_true(fd >= 0);
    assert_true(harness::send_all(fd, "still here\n"));
    assert_str_eq(harness::recv_exactly(fd, 11), "still here\n");
    close(fd);
}

// The JSON line of smallctl -j output mixed with its stderr.
std::string json_line(const std::string& out) {
    for (size_t at = 0; at < out.size(); at = out.find('\n', at) + 1) {
        if (out[at] == '{') return out.substr(at, out.find('\n', at) - at);
        if (out.find('\n', at) == std::string::npos) break;
    }
    return "";
}

bool any_shows_escaped(const json& errors) {
    for (const auto& e : errors)
        if (e.is_string() && e.get<std::string>().find(kShown) != std::string::npos) return true;
    return false;
}

void assert_utf8(const std::string& text, const char* what) {
    if (!smalld::valid_utf8(text)) fail_msg("%s is not valid UTF-8:\n%s", what, text.c_str());
}

// The `status` reply as a read-only peer sees it: as nobody when we are root.
std::string status_as_nobody(const std::string& socket) {
    int pipe_fds[2];
    assert_int_equal(pipe(pipe_fds), 0);
    pid_t child = fork();
    if (child == 0) {
        close(pipe_fds[0]);
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) _exit(1);
        Ctl ctl(socket);
        std::string reply = ctl.ok() ? ctl.request_line("status") : "";
        (void)!write(pipe_fds[1], reply.data(), reply.size());
        _exit(0);
    }
    close(pipe_fds[1]);
    std::string reply;
    char buf[4096];
    pollfd p{pipe_fds[0], POLLIN, 0};
    while (poll(&p, 1, harness::kPatienceMs) > 0) {
        ssize_t n = read(pipe_fds[0], buf, sizeof buf);
        if (n <= 0) break;
        reply.append(buf, size_t(n));
    }
    close(pipe_fds[0]);
    waitpid(child, nullptr, 0);
    return reply;
}

std::string http_metrics(TestDaemon& d) {
    uint16_t port = protect::metrics_port(d);
    assert_true(port != 0);
    int status = -1;
    std::string body = protect::http_get(port, "/metrics", &status);
    assert_int_equal(status, 0);
    return body;
}

// A bad value, a bad key, a bad section name and a bad type, all at once.
std::string bad_config() {
    std::string ini = kConfig;
    ini.insert(ini.find("log_connections"), "log_level = " + kBad + "\n");
    return ini + "idle_timeout = " + kBad + "\n" + kBad + " = 1\n[" + kBad +
           "]\ntcp = 127.0.0.1:0\n" + "[other]\ntype = " + kBad + "\n";
}

void reload_by_sighup(TestDaemon& d, const char* while_what) {
    d.write_config(bad_config());
    size_t mark = d.log_size();
    d.signal(SIGHUP);
    if (!d.wait_for_log("reload failed", harness::kPatienceMs, mark)) {
        assert_alive(d, while_what);
        fail_msg("no \"reload failed\" in the log after %s", while_what);
    }
}

// What the others see once a reload failed on bad bytes: `status` from a
// read-only user, `reload`, stats, Prometheus text and the log.
void assert_failure_shown_escaped(TestDaemon& d) {
    json status = parse_reply(status_as_nobody(d.control_socket()), "status as nobody");
    assert_true(status["ok"] == true);
    std::string last = status["data"].value("last_reload", "");
    if (last.find("failed: ") != 0 || last.find(kShown) == std::string::npos)
        fail_msg("last_reload does not show the bad bytes escaped: %s", last.c_str());
    assert_alive(d, "status from a read-only user");

    int rc = -1;
    std::string out = harness::smallctl(d, "-j reload", &rc);
    assert_int_equal(rc, 1);
    json reply = parse_reply(json_line(out), "smallctl -j reload");
    assert_true(reply["errors"].size() >= 4);
    out = harness::smallctl(d, "reload", &rc);
    assert_int_equal(rc, 1);
    assert_true(out.find(kShown) != std::string::npos);
    out = harness::smallctl(d, "status", &rc);
    assert_int_equal(rc, 0);
    assert_true(out.find(kShown) != std::string::npos);
    assert_alive(d, "smallctl reload and status");

    assert_utf8(harness::smallctl(d, "-j stats", &rc), "smallctl -j stats");
    assert_int_equal(rc, 0);
    assert_utf8(harness::smallctl(d, "metrics", &rc), "smallctl metrics");
    assert_int_equal(rc, 0);
    assert_utf8(http_metrics(d), "/metrics");
    assert_echo_serves(d);

    std::string log = d.log();
    assert_utf8(log, "the log");
    assert_true(log.find("got \"" + kShown) != std::string::npos);
}

// The issue's repro: a SIGHUP reload fails on bad bytes, then a read-only
// user asks for the status.
void failed_reload_then_status(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    reload_by_sighup(d, "a failed SIGHUP reload");
    assert_failure_shown_escaped(d);
}

// The same reload while a monitor is attached: the event carries the errors.
void failed_reload_seen_by_a_monitor(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    Ctl monitor(d.control_socket());
    assert_true(monitor.ok());
    assert_true(parse_reply(monitor.request_line("monitor"), "monitor")["ok"] == true);
    reload_by_sighup(d, "a failed SIGHUP reload with a monitor attached");
    json event = parse_reply(monitor.line(), "the monitor's reload event");
    assert_str_eq(event.value("event", ""), "reload");
    assert_true(event["ok"] == false);
    assert_true(event["errors"].size() >= 4);
    assert_true(any_shows_escaped(event["errors"]));
    // A reload through the control socket reaches the monitor too.
    int rc = -1;
    harness::smallctl(d, "reload", &rc);
    assert_int_equal(rc, 1);
    event = parse_reply(monitor.line(), "the monitor's second reload event");
    assert_true(event["ok"] == false);
    assert_failure_shown_escaped(d);
}

using harness::NotifySink;

// systemd ignores a STATUS= that is not UTF-8 ("not UTF-8 clean"), so
// `systemctl status` would go on showing the state before the failed reload.
void notify_status_after_failed_reload(void**) {
    NotifySink sink;
    TestDaemon d(kConfig, {}, {sink.env()});
    assert_true(d.started());
    assert_false(sink.next("READY=1").empty());
    reload_by_sighup(d, "a failed SIGHUP reload under NOTIFY_SOCKET");
    std::string ready = sink.next("STATUS=reload failed");
    assert_false(ready.empty());
    assert_utf8(ready, "the STATUS= after a failed reload");
    assert_true(ready.find(kShown) != std::string::npos);
}

// The config file's path, the control socket's path and a quotes file (path
// and contents) in a directory whose name is not UTF-8.
void paths_and_quotes_file(void**) {
    char templ[] = "/tmp/smalld-utf8.XXXXXX";
    assert_non_null(mkdtemp(templ));
    std::string dir = std::string(templ) + "/" + kBad;
    assert_int_equal(mkdir(dir.c_str(), 0755), 0);
    chmod(templ, 0755);
    std::string quotes = dir + "/quotes-" + kBad;
    std::ofstream(quotes) << "a quote with " << kBad << " in it\n%\nanother\n";
    std::string socket = dir + "/ctl-" + kBad + ".sock";
    std::string ini = "[daemon]\nlog_connections = no\n[control]\nsocket = " + socket +
                      "\nmode = 0666\n[echo]\ntcp = 127.0.0.1:0\nrate = 0/s\n[qotd]\n"
                      "tcp = 127.0.0.1:0\nrate = 0/s\nquotes = " +
                      quotes + "\n";
    std::string config = dir + "/smalld-" + kBad + ".ini";
    std::ofstream(config) << ini;
    {
        // The last -c wins: the harness's own file is not used.
        TestDaemon d(kConfig, {"-c", config});
        assert_true(d.started());

        json status = parse_reply(status_as_nobody(socket), "status as nobody");
        assert_true(status["ok"] == true);
        std::string shown = status["data"].value("config", "");
        if (shown.find(kShown) == std::string::npos)
            fail_msg("status: config path not shown escaped: %s", shown.c_str());
        assert_true(status["data"].value("control_socket", "").find(kShown) != std::string::npos);
        assert_alive(d, "status with a non-UTF-8 config and socket path");

        // Data is data: qotd sends the quote's bytes as they are.
        int fd = harness::tcp_connect(d.port("qotd", "tcp"));
        assert_true(fd >= 0);
        std::string quote = harness::recv_until_eof(fd);
        close(fd);
        assert_true(quote.find(kBad) != std::string::npos || quote == "another\r\n");

        // A reload that cannot read the quotes file names it in its errors.
        assert_int_equal(unlink(quotes.c_str()), 0);
        size_t mark = d.log_size();
        d.signal(SIGHUP);
        assert_true(d.wait_for_log("reload failed", harness::kPatienceMs, mark));
        status = parse_reply(status_as_nobody(socket), "status after a failed reload");
        assert_true(status["data"].value("last_reload", "").find(kShown) != std::string::npos);
        int rc = -1;
        std::string out = harness::smallctl_at(socket, "-j reload", &rc);
        assert_int_equal(rc, 1);
        parse_reply(json_line(out), "smallctl -j reload");
        assert_alive(d, "a reload naming a non-UTF-8 quotes path");
        assert_echo_serves(d);
        assert_utf8(d.log(), "the log");
        d.signal(SIGTERM);
        assert_int_equal(d.wait_exit(harness::kPatienceMs), 0);
    }
    struct stat st {};
    assert_int_not_equal(lstat(socket.c_str(), &st), 0);  // removed at exit
    harness::run(std::string("rm -rf '") + templ + "'");
}

// Control arguments: raw lines and JSON requests with bad bytes get an error
// reply and the connection stays usable; smallctl refuses them itself.
void control_arguments(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    Ctl ctl(d.control_socket());
    assert_true(ctl.ok());
    const std::string requests[] = {
        "conn kill " + kBad,
        "log-level " + kBad,
        kBad,
        R"({"command":"conn kill","args":[")" + kBad + R"("]})",
        R"({"command":")" + kBad + R"("})",
        R"({"command":"log-level","args":["\ud800"]})",
    };
    for (const auto& request : requests) {
        json reply = parse_reply(ctl.request_line(request), "a request with bad bytes");
        assert_true(reply["ok"] == false);
        assert_str_eq(reply.value("code", ""), "bad_request");
        assert_true(
            parse_reply(ctl.request_line("status"), "status on the same connection")["ok"] == true);
    }
    // Escaped in JSON, U+00FF is a valid argument, just not a session id.
    json reply = parse_reply(ctl.request_line(R"({"command":"conn kill","args":["\u00ff\u0000"]})"),
                             "conn kill U+00FF");
    assert_str_eq(reply.value("code", ""), "usage");

    for (const char* command : {"conn kill", "log-level"}) {
        int rc = -1;
        std::string out =
            harness::smallctl(d, std::string(command) + " \"$(printf '\\377\\376')\"", &rc);
        if (rc != 2)
            fail_msg("smallctl %s <bad bytes>: exit %d, expected 2 (usage); output:\n%s", command,
                     rc, out.c_str());
        assert_true(out.find("UTF-8") != std::string::npos);
        assert_utf8(out, "smallctl's message");
    }
    assert_alive(d, "control requests with bad bytes");
    assert_utf8(d.log(), "the log");
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(failed_reload_then_status),
                           cmocka_unit_test(failed_reload_seen_by_a_monitor),
                           cmocka_unit_test(notify_status_after_failed_reload),
                           cmocka_unit_test(paths_and_quotes_file),
                           cmocka_unit_test(control_arguments)});
}
