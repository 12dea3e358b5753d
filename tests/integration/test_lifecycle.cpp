// SPDX-License-Identifier: BSD-2-Clause
// Start-up, reload and shutdown of the real daemon: exit codes, bind errors,
// reload keeping live sessions and listeners, a bad reload keeping the old
// configuration, and SIGTERM leaving no process behind.
#include <arpa/inet.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <regex>
#include <string>

#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using harness::TestDaemon;

static const std::string kBase = harness::control_head("", "shutdown_timeout = 2s\n") + R"(
[echo]
tcp = 127.0.0.1:0
udp = 127.0.0.1:0
[time]
tcp = 127.0.0.1:0
)";

static void check_mode_and_usage(void**) {
    int status;
    harness::run(harness::smalld_bin() + " -x", &status);
    assert_int_equal(status, 64);
    harness::run(harness::smalld_bin() + " extra-arg", &status);
    assert_int_equal(status, 64);
    std::string v = harness::run(harness::smalld_bin() + " -V", &status);
    assert_int_equal(status, 0);
    assert_int_equal(v.rfind("smalld ", 0), 0);
    TestDaemon d(kBase);
    assert_true(d.started());
    std::string ok = harness::run(harness::smalld_bin() + " -t -c " + d.config_path(), &status);
    assert_int_equal(status, 0);
    assert_str_eq(ok, "configuration OK\n");
    d.write_config("[echo]\nrate = fast\n");
    std::string bad =
        harness::run(harness::smalld_bin() + " -t -c " + d.config_path() + " 2>&1", &status);
    assert_int_equal(status, 78);
    assert_non_null(strstr(bad.c_str(), (d.config_path() + ":2: rate:").c_str()));
}

static void bind_failure_exits_71(void**) {
    TestDaemon first(kBase);
    assert_true(first.started());
    std::string busy = "[control]\nsocket =\n[echo]\ntcp = 127.0.0.1:" +
                       std::to_string(first.port("echo", "tcp")) + "\n";
    TestDaemon second(busy);
    assert_false(second.started());
    assert_int_equal(second.wait_exit(harness::kPatienceMs), 71);
    assert_non_null(strstr(second.log().c_str(), "cannot bind tcp 127.0.0.1:"));
    assert_non_null(strstr(second.log().c_str(), "Address already in use"));
    // An unprivileged daemon cannot bind port 7, and the message says what is
    // needed. It runs as nobody, so that this is checked under root too.
    TestDaemon low("[control]\nsocket =\n[echo]\ntcp = 127.0.0.1:7\n", {}, {},
                   {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
    assert_int_equal(low.wait_exit(harness::kPatienceMs), 71);
    assert_non_null(strstr(low.log().c_str(), "need root or CAP_NET_BIND_SERVICE"));
}

static void reload_keeps_sessions_and_listeners(void**) {
    TestDaemon d(kBase);
    assert_true(d.started());
    uint16_t echo_port = d.port("echo", "tcp");
    int live = harness::tcp_connect(echo_port);
    assert_true(live >= 0);
    assert_true(harness::send_all(live, "before "));
    assert_str_eq(harness::recv_exactly(live, 7), "before ");
    // Remove [time], add [daytime], change a setting of [echo].
    std::string next = R"(
[control]
socket =
[echo]
tcp = 127.0.0.1:0
udp = 127.0.0.1:0
idle_timeout = 30s
[daytime]
tcp = 127.0.0.1:0
)";
    size_t mark = d.log_size();
    d.write_config(next);
    d.signal(SIGHUP);
    assert_true(d.wait_for_log("reload done", harness::kPatienceMs, mark));
    std::string log = d.log().substr(mark);
    assert_non_null(strstr(log.c_str(), "removed time tcp 127.0.0.1:0"));
    assert_non_null(strstr(log.c_str(), "added daytime tcp 127.0.0.1:0"));
    // The live session survived and still echoes; the listener kept its port.
    assert_true(harness::send_all(live, "after"));
    assert_str_eq(harness::recv_exactly(live, 5), "after");
    close(live);
    assert_int_equal(d.port("echo", "tcp"), echo_port);
    int fresh = harness::tcp_connect(echo_port);
    assert_true(fresh >= 0);
    close(fresh);
    int day = harness::tcp_connect(d.port("daytime", "tcp"));
    assert_int_equal(harness::recv_until_eof(day).size(), 26);
    close(day);
}

static void bad_reload_keeps_old_config(void**) {
    TestDaemon d(kBase);
    assert_true(d.started());
    uint16_t time_port = d.port("time", "tcp");
    int live = harness::tcp_connect(d.port("echo", "tcp"));
    size_t mark = d.log_size();
    d.write_config("[echo]\nrate = fast\nbogus = 1\n[time]\n");
    d.signal(SIGHUP);
    assert_true(
        d.wait_for_log("previous configuration stays in force", harness::kPatienceMs, mark));
    std::string log = d.log().substr(mark);
    // Every error, with its line.
    assert_non_null(strstr(log.c_str(), (d.config_path() + ":2: rate: expected a rate").c_str()));
    assert_non_null(strstr(log.c_str(), (d.config_path() + ":3: unknown key \"bogus\"").c_str()));
    // Old listeners and sessions are untouched.
    assert_true(harness::send_all(live, "still here"));
    assert_str_eq(harness::recv_exactly(live, 10), "still here");
    close(live);
    int t = harness::tcp_connect(time_port);
    assert_int_equal(harness::recv_until_eof(t).size(), 4);
    close(t);
}

static void reload_failing_at_bind_changes_nothing(void**) {
    std::string base = std::string(kBase) + "[status]\ntcp = 127.0.0.1:0\n";
    TestDaemon d(base);
    assert_true(d.started());
    // The instances the status report lists, as "name type" lines.
    auto instances = [&] {
        int s = harness::tcp_connect(d.port("status", "tcp"));
        std::string text = harness::recv_until_eof(s), names;
        close(s);
        size_t at = text.find("\r\n", text.find("instance"));
        char name[64], type[64];
        while (at != std::string::npos &&
               sscanf(text.c_str() + at, " %63s %63s", name, type) == 2) {
            names += std::string(name) + " " + type + "\n";
            at = text.find("\r\n", at + 2);
        }
        return names;
    };
    std::string before = instances();
    assert_string_equal(before.c_str(), "echo echo\nstatus status\ntime time\n");
    // A valid file whose new listener cannot bind (the port is echo's): [time]
    // retyped, [daytime] on the taken port, [other] that would bind fine.
    std::string echo_port = std::to_string(d.port("echo", "tcp"));
    size_t mark = d.log_size();
    d.write_config(std::string(kBase) + "type = daytime\n[status]\ntcp = 127.0.0.1:0\n" +
                   "[daytime]\ntcp = 127.0.0.1:" + echo_port +
                   "\n[other]\ntype = qotd\ntcp = 127.0.0.1:0\n");
    d.signal(SIGHUP);
    assert_true(
        d.wait_for_log("previous configuration stays in force", harness::kPatienceMs, mark));
    assert_non_null(strstr(d.log().c_str() + mark, "Address already in use"));
    // What the report shows is what is served: the configuration from before.
    assert_string_equal(instances().c_str(), before.c_str());
}

static void command_line_level_survives_reload(void**) {
    TestDaemon d(kBase, {"-l", "info"});
    assert_true(d.started());
    std::string quiet = kBase;
    quiet.replace(quiet.find("[daemon]\n"), 9, "[daemon]\nlog_level = error\n");
    size_t mark = d.log_size();
    d.write_config(quiet);
    d.signal(SIGHUP);
    // At the file's level (error) the reload's notices would not be written.
    assert_true(d.wait_for_log("reload done", harness::kPatienceMs, mark));
    assert_non_null(
        strstr(d.log().c_str() + mark,
               "log_level: info -> error (not applied: -l on the command line overrides it)"));
}

static void connection_log_lines(void**) {
    TestDaemon d(kBase);
    assert_true(d.started());
    uint16_t echo = d.port("echo", "tcp");
    int fd = harness::tcp_connect(echo);
    sockaddr_in me{};
    socklen_t len = sizeof me;
    getsockname(fd, reinterpret_cast<sockaddr*>(&me), &len);
    std::string peer = "127.0.0.1:" + std::to_string(ntohs(me.sin_port));
    assert_true(harness::send_all(fd, "eleven byte"));
    assert_str_eq(harness::recv_exactly(fd, 11), "eleven byte");
    close(fd);
    // One line at the open and one at the close: instance, peer, local address,
    // duration, bytes each way and the reason.
    assert_true(d.wait_for_log(": closed by peer"));
    std::regex open_line("session [0-9]+ open: echo " + peer +
                         " -> 127\\.0\\.0\\.1:" + std::to_string(echo) + "\n");
    std::regex close_line("session [0-9]+ closed: echo " + peer +
                          ", [0-9.]+ (us|ms|s), in 11 B, out 11 B: closed by peer\n");
    std::string log = d.log();
    assert_true(std::regex_search(log, open_line));
    assert_true(std::regex_search(log, close_line));
    // log_connections = no silences both.
    std::string quiet = kBase;
    quiet.replace(quiet.find("[daemon]\n"), 9, "[daemon]\nlog_connections = no\n");
    d.write_config(quiet);
    size_t mark = d.log_size();
    d.signal(SIGHUP);
    assert_true(d.wait_for_log("reload done", harness::kPatienceMs, mark));
    size_t quiet_from = d.log_size();
    fd = harness::tcp_connect(echo);
    assert_true(harness::send_all(fd, "x"));
    assert_str_eq(harness::recv_exactly(fd, 1), "x");
    close(fd);
    // The time service answers and closes: its session ends before this returns.
    int t = harness::tcp_connect(d.port("time", "tcp"));
    assert_int_equal(harness::recv_until_eof(t).size(), 4);
    close(t);
    // A reload logs after the sessions ended; the log keeps its order.
    d.signal(SIGHUP);
    assert_true(d.wait_for_log("reload done", harness::kPatienceMs, quiet_from));
    assert_null(strstr(d.log().c_str() + quiet_from, "session "));
}

static void reload_reports_control_and_metrics_changes(void**) {
    TestDaemon d(kBase);
    assert_true(d.started());
    size_t mark = d.log_size();
    d.write_config(std::string(kBase) + "[metrics]\nlisten = 127.0.0.1:0\n");
    d.signal(SIGHUP);
    assert_true(d.wait_for_log("reload done", harness::kPatienceMs, mark));
    std::string log = d.log().substr(mark);
    assert_non_null(strstr(
        log.c_str(), "[metrics] listen: \"\" -> 127.0.0.1:0 (takes effect at the next restart)"));
    assert_null(strstr(log.c_str(), "[control]"));
}

static void sigterm_flushes_and_exits_zero(void**) {
    auto d = std::make_unique<TestDaemon>(kBase);
    assert_true(d->started());
    pid_t pid = d->pid();
    int idle = harness::tcp_connect(d->port("echo", "tcp"));
    assert_true(idle >= 0);
    d->signal(SIGTERM);
    assert_int_equal(d->wait_exit(harness::kPatienceMs), 0);
    // The session was closed, the listener is gone, and so is the process.
    assert_int_equal(harness::recv_until_eof(idle, 10).size(), 0);
    close(idle);
    assert_true(kill(pid, 0) != 0 && errno == ESRCH);
    assert_non_null(strstr(d->log().c_str(), "smalld stopped"));
}

static void sigint_also_stops(void**) {
    TestDaemon d(kBase);
    assert_true(d.started());
    d.signal(SIGINT);
    assert_int_equal(d.wait_exit(harness::kPatienceMs), 0);
}

static void shutdown_timeout_bounds_slow_peers(void**) {
    // A peer that never reads keeps echo output queued; shutdown gives up
    // after shutdown_timeout (2s) instead of waiting forever.
    TestDaemon d(kBase);
    assert_true(d.started());
    int stuck = protect::connect_non_reader(d.port("echo", "tcp"));
    // More than every socket buffer on the way can hold, so that smalld is
    // left with queued output it cannot deliver.
    harness::send_all(stuck, std::string(32 << 20, 'z'), 4000);
    d.signal(SIGTERM);
    int rc = d.wait_exit(harness::kPatienceMs);
    close(stuck);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(d.log().c_str(), "shutdown_timeout reached"));
}

int main() {
    return run_test_group(
        {cmocka_unit_test(check_mode_and_usage), cmocka_unit_test(bind_failure_exits_71),
         cmocka_unit_test(reload_keeps_sessions_and_listeners),
         cmocka_unit_test(bad_reload_keeps_old_config),
         cmocka_unit_test(reload_failing_at_bind_changes_nothing),
         cmocka_unit_test(command_line_level_survives_reload),
         cmocka_unit_test(connection_log_lines),
         cmocka_unit_test(reload_reports_control_and_metrics_changes),
         cmocka_unit_test(sigterm_flushes_and_exits_zero), cmocka_unit_test(sigint_also_stops),
         cmocka_unit_test(shutdown_timeout_bounds_slow_peers)});
}
