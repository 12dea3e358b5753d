// SPDX-License-Identifier: BSD-2-Clause
// smallctl does not trust its server. Against a socket that floods without a
// newline it stops at its 16 MiB reply cap with a clear error, in bounded
// memory; against one that never accepts it gives up after its timeout (-t)
// with exit 3; a monitor whose stream goes silent (no event, no keep-alive)
// or drips bytes without ever ending a line is given up after 30 s (-t, but
// never less than two keep-alive periods), a quiet daemon's is not; and no
// escape sequence from a reply, an event or a reload error reaches the
// terminal raw. The fake servers are threads of this test on Unix sockets in
// a directory of its own; every smallctl it starts is waited for with a hang
// guard (its own timeout plus kPatienceMs) and killed by its pid past it.
#include <nlohmann/json.hpp>
#include <string>

#include "fake_control.h"

#include "harness.h"
// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

namespace {

using namespace fake_control;

constexpr size_t kFloodBytes = 128 << 20;  // what a flooding server sends at most
constexpr long kRssLimitKib = 64 << 10;    // smallctl's cap is 16 MiB a reply
constexpr const char* kEscapes = "\\u001b]0;owned\\u0007\\u001b[2J";  // as JSON text

// `prefix`, then bytes without a newline up to kFloodBytes, then silence.
FakeServer::Behaviour flood(std::string prefix) {
    return [prefix](int fd, const std::atomic<bool>& stop) {
        if (!send_bounded(fd, prefix, stop)) return;
        std::string block(1 << 20, 'x');
        for (size_t sent = prefix.size(); sent < kFloodBytes; sent += block.size())
            if (!send_bounded(fd, block, stop)) return;
        hold(fd, stop);
    };
}

FakeServer::Behaviour reply(std::string text) {
    return [text](int fd, const std::atomic<bool>& stop) {
        if (send_bounded(fd, text, stop)) hold(fd, stop);
    };
}

// The reply, then one byte every half second, never a newline.
FakeServer::Behaviour reply_then_drip(std::string text) {
    return [text](int fd, const std::atomic<bool>& stop) {
        if (!send_bounded(fd, text, stop)) return;
        while (!stop && send_bounded(fd, "x", stop))
            for (int i = 0; i < 5 && !stop; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                char c;
                if (recv(fd, &c, 1, MSG_DONTWAIT) == 0) return;  // the client left
            }
    };
}

bool has_raw_control(const std::string& text) {
    for (unsigned char c : text)
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return true;
    return false;
}

void expect_capped(const Outcome& o, const char* what) {
    std::string problems;
    if (o.status != 1) problems += "exit status " + std::to_string(o.status) + ", expected 1; ";
    if (o.err.find("exceeds 16 MiB") == std::string::npos)
        problems += "no clear error about the reply's size; ";
    if (o.max_rss_kib > kRssLimitKib)
        problems += "it grew to " + std::to_string(o.max_rss_kib) + " KiB reading " +
                    std::to_string(kFloodBytes >> 20) + " MiB of one line (limit " +
                    std::to_string(kRssLimitKib) + " KiB); ";
    if (!problems.empty()) fail_msg("%s: %sstderr: %.300s", what, problems.c_str(), o.err.c_str());
}

// --- the tests -----------------------------------------------------------------

// The issue's case: a reply that never ends its line.
void flood_without_newline(void**) {
    FakeServer server("flood", flood(""));
    expect_capped(run_smallctl(server.path(), {"status"}), "status against a flood");
}

// Valid JSON that never ends: the parser never gets a chance to refuse it.
void endless_json_line(void**) {
    FakeServer server("json", flood(R"({"ok":true,"data":[{"id":1,"peer":")"));
    expect_capped(run_smallctl(server.path(), {"conns"}), "conns against an endless JSON line");
}

// top's own loop reads the same way.
void top_against_flood(void**) {
    FakeServer server("topflood", flood(""));
    expect_capped(run_smallctl(server.path(), {"top", "1"}), "top against a flood");
}

// A monitor's event line is capped like a reply.
void monitor_event_flood(void**) {
    FakeServer server("monflood", flood(R"({"ok":true,"data":{"monitoring":true}})"
                                        "\n"));
    expect_capped(run_smallctl(server.path(), {"monitor"}), "monitor against a flooding event");
}

void expect_escaped(const Outcome& o, const char* what, int status) {
    if (o.status != status)
        fail_msg("%s: exit status %d, expected %d; stderr: %.300s", what, o.status, status,
                 o.err.c_str());
    if (has_raw_control(o.out) || has_raw_control(o.err))
        fail_msg("%s: a control character reached the terminal raw:\nstdout: %s\nstderr: %s", what,
                 o.out.c_str(), o.err.c_str());
    if ((o.out + o.err).find("\\x1b]0;owned\\x07\\x1b[2J") == std::string::npos)
        fail_msg("%s: the escaped sequence is not shown:\nstdout: %s\nstderr: %s", what,
                 o.out.c_str(), o.err.c_str());
}

void escapes_in_a_reply(void**) {
    FakeServer server("escreply", reply(std::string(R"({"ok":true,"data":{"version":"1.0)") +
                                        kEscapes + R"(","pid":1,"state":"running"}})" + "\n"));
    expect_escaped(run_smallctl(server.path(), {"status"}), "status reply", 0);
}

void escapes_in_a_reload_error(void**) {
    FakeServer server("escreload",
                      reply(std::string(R"({"ok":false,"error":"reload failed)") + kEscapes +
                            R"(","errors":["smalld.ini:3: rate: expected N/s, got \")" + kEscapes +
                            R"(\""]})" + "\n"));
    expect_escaped(run_smallctl(server.path(), {"reload"}), "reload error", 1);
}

void escapes_in_a_monitor_event(void**) {
    FakeServer server("escevent", [](int fd, const std::atomic<bool>& stop) {
        std::string text = std::string(R"({"ok":true,"data":{"monitoring":true}})") + "\n" +
                           R"({"event":"reload","time":1.5,"error":")" + kEscapes + "\"}\n";
        send_bounded(fd, text, stop);  // then closes
    });
    expect_escaped(run_smallctl(server.path(), {"monitor"}), "monitor event", 1);
}

// -j prints JSON, which may carry a raw CR between tokens and a raw DEL in
// a string: neither reaches the terminal, and the output is still the JSON.
void controls_in_json_mode(void**) {
    FakeServer server("escjson", reply(std::string("{\"ok\":true,\r\"data\":{\"version\":\"1\x7f") +
                                       kEscapes + "\"}}\n"));
    Outcome o = run_smallctl(server.path(), {"-j", "status"});
    assert_int_equal(o.status, 0);
    if (has_raw_control(o.out))
        fail_msg("a control character reached the terminal: %s", o.out.c_str());
    auto j = nlohmann::json::parse(o.out, nullptr, false);
    assert_false(j.is_discarded());
    assert_string_equal(j["data"]["version"].get<std::string>().c_str(),
                        "1\x7f\x1b]0;owned\x07\x1b[2J");
}

// The real daemon quoting a drop-in's text in its reload errors.
void escapes_in_a_real_reload_error(void**) {
    const char* ini = R"(
[control]
socket = @DIR@/control.sock
mode = 0600
[echo]
tcp = 127.0.0.1:0
)";
    harness::TestDaemon d(ini);
    assert_true(d.started());
    d.write_config(std::string(ini) + "rate = \x1b]0;owned\x07\x1b[2J\n");
    expect_escaped(run_smallctl(d.control_socket(), {"reload"}), "a real reload error", 1);
}

// A Unix socket that listens with its backlog full: connect() cannot complete.
int never_accepting(const std::string& path, std::vector<int>* queued) {
    int fd = listening_socket(path, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    for (int i = 0; i < 64; ++i) {
        int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            close(c);
            break;
        }
        queued->push_back(c);
    }
    return fd;
}

// Every case that takes smallctl's whole timeout, side by side: a server
// that never accepts (status, top, reload: ExecReload), a monitor that goes
// silent, one that drips bytes without a newline; and a monitor of a real,
// quiet daemon, which keep-alives must keep alive past the timeout.
void silent_servers(void**) {
    // The daemon first: the harness's child allocates after fork(), which
    // it may only do while this process has no other threads.
    harness::TestDaemon d(harness::control_head("0600") + R"(
[echo]
tcp = 127.0.0.1:0
)");
    assert_true(d.started());
    std::vector<int> queued;
    std::string stuck = scratch_dir() + "/stuck.sock";
    int stuck_fd = never_accepting(stuck, &queued);
    FakeServer silent("silent", reply(R"({"ok":true,"data":{"monitoring":true}})"
                                      "\n"));
    FakeServer drip("drip", reply_then_drip(R"({"ok":true,"data":{"monitoring":true}})"
                                            "\n"));
    auto started = Clock::now();
    Child live = start_smallctl(d.control_socket(), {"monitor"});
    struct Case {
        const char* what;
        Child child;
        int status;
        const char* says;
    };
    std::vector<Case> cases = {
        {"status, never accepted", start_smallctl(stuck, {"status"}), 3, "does not accept"},
        {"top, never accepted", start_smallctl(stuck, {"top", "1"}), 3, "does not accept"},
        {"reload, never accepted", start_smallctl(stuck, {"reload"}), 3, "does not accept"},
        {"monitor, silent", start_smallctl(silent.path(), {"monitor"}), 1, "no event"},
        {"monitor, dripping", start_smallctl(drip.path(), {"monitor"}), 1, "no event"},
    };
    std::string failures;
    for (auto& c : cases) {
        Outcome o = finish(c.child);
        if (o.status != c.status || o.err.find(c.says) == std::string::npos)
            failures += std::string(c.what) + ": exit status " + std::to_string(o.status) +
                        " (expected " + std::to_string(c.status) + ", -1: killed at the guard), " +
                        "stderr: " + o.err.substr(0, 300) + "\n";
    }
    // Past the monitor's silence limit plus a keep-alive period, the real
    // monitor must still be running: it hears a keep-alive every 15 s.
    auto quiet_until = started + std::chrono::milliseconds(kMonitorSilenceMs + 15'000);
    auto exited = [&] {  // without reaping it: finish() does
        siginfo_t info{};
        return waitid(P_PID, id_t(live.pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
               info.si_pid == live.pid;
    };
    while (Clock::now() < quiet_until && !exited())
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    bool alive = !exited();
    kill(live.pid, SIGTERM);
    Outcome monitor = finish(live, harness::kPatienceMs);
    if (!alive)
        failures += "the monitor of a quiet daemon gave up: " + monitor.err.substr(0, 300) + "\n";
    for (int fd : queued) close(fd);
    close(stuck_fd);
    unlink(stuck.c_str());
    if (!failures.empty()) fail_msg("%s", failures.c_str());
}

}  // namespace

int main() {
    if (!protect::enter_private_network()) return 77;
    int failed = run_test_group(
        {cmocka_unit_test(flood_without_newline), cmocka_unit_test(endless_json_line),
         cmocka_unit_test(top_against_flood), cmocka_unit_test(monitor_event_flood),
         cmocka_unit_test(escapes_in_a_reply), cmocka_unit_test(escapes_in_a_reload_error),
         cmocka_unit_test(escapes_in_a_monitor_event), cmocka_unit_test(controls_in_json_mode),
         cmocka_unit_test(escapes_in_a_real_reload_error), cmocka_unit_test(silent_servers)});
    harness::run("rm -rf '" + scratch_dir() + "'");
    return failed;
}
