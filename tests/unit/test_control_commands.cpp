// SPDX-License-Identifier: BSD-2-Clause
// The control command table: matching whole words, argument counts, levels,
// every handler run against a fake read model (no Daemon: the JSON each
// reply carries, field by field) and against a real (listener-less) Daemon.
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "../cmocka.hpp"
#include "control_commands.h"
#include "daemon.h"
#include "fake_read_model.h"

using namespace smalld;
using smalld::testing::FakeModel;

namespace {

CommandMatch match(std::vector<std::string> words) {
    return find_command(words);
}

CommandReply run(ReadModel& model, std::vector<std::string> words) {
    CommandMatch m = find_command(words);
    if (!m.command) return m.error;
    return m.command->run(model, m.args);
}

}  // namespace

static void matching(void**) {
    auto m = match({"stats"});
    assert_non_null(m.command);
    assert_str_eq(std::string(m.command->name), "stats");
    m = match({"stats", "reset"});
    assert_str_eq(std::string(m.command->name), "stats reset");
    assert_int_equal(int(m.command->level), int(ControlLevel::Admin));
    m = match({"conn", "kill", "42"});
    assert_str_eq(std::string(m.command->name), "conn kill");
    assert_int_equal(m.args.size(), 1);
    assert_str_eq(m.args[0], "42");

    // The socket takes full words only.
    m = match({"stat"});
    assert_null(m.command);
    assert_str_eq(m.error.code, "unknown_command");
    assert_str_eq(m.error.error, "unknown command \"stat\"");
    m = match({"conn"});
    assert_null(m.command);
    assert_str_eq(m.error.code, "unknown_command");
    // Argument counts.
    m = match({"conn", "kill"});
    assert_null(m.command);
    assert_str_eq(m.error.code, "usage");
    assert_str_eq(m.error.error, "usage: conn kill ID");
    m = match({"stats", "now"});
    assert_null(m.command);
    assert_str_eq(m.error.error, "usage: stats");
    m = match({"log-level"});
    assert_str_eq(m.error.error, "usage: log-level LEVEL");
    assert_null(match({}).command);
}

static void levels(void**) {
    std::set<std::string> admin, read;
    for (const auto& c : control_commands())
        (c.level == ControlLevel::Admin ? admin : read).insert(std::string(c.name));
    assert_true(admin ==
                std::set<std::string>({"stats reset", "conn kill", "reload", "log-level"}));
    assert_true(read == std::set<std::string>({"status", "stats", "metrics", "listeners", "conns",
                                               "peers", "monitor"}));
}

static void reply_json(void**) {
    CommandReply ok;
    ok.data = {{"a", 1}};
    assert_str_eq(ok.to_json().dump(), R"({"data":{"a":1},"ok":true})");
    CommandReply no = CommandReply::failure("denied", "permission denied");
    no.details = {{"errors", {"x"}}};
    assert_str_eq(no.to_json().dump(),
                  R"({"code":"denied","error":"permission denied","errors":["x"],"ok":false})");
}

static void handlers_serialise_the_read_model(void**) {
    FakeModel model;
    auto r = run(model, {"status"});
    assert_true(r.ok);
    assert_str_eq(r.data.dump(),
                  R"({"config":"/etc/smalld/smalld.ini","conn_accepted_total":5,)"
                  R"("conn_current":2,"control_socket":"/run/smalld/control","instances":2,)"
                  R"("last_reload":"ok","listeners":1,"log_level":"info","metrics_listen":null,)"
                  R"("pid":42,"state":"running","uptime_seconds":61.5,"version":"9.9"})");
    r = run(model, {"listeners"});
    assert_str_eq(r.data.dump(), R"([{"address":"::1","configured":"[::1]:7","instance":"echo",)"
                                 R"("origin":"config","port":7007,"proto":"tcp","type":"echo"}])");
    // Every session, oldest (lowest id) first.
    r = run(model, {"conns"});
    assert_true(model.limit_asked == kAllSessions);
    assert_int_equal(r.data.size(), 2);
    assert_str_eq(r.data[0].dump(), R"({"age_seconds":9.0,"bytes_in":0,"bytes_out":4096,"id":3,)"
                                    R"("idle_seconds":1.0,"instance":"chargen","local":"[::1]:19",)"
                                    R"("peer":"[2001:db8::3]:5000","type":"chargen"})");
    assert_int_equal(r.data[1]["id"].get<uint64_t>(), 7);

    model.counters.counters.conn_accepted_total = 9;
    r = run(model, {"stats"});
    assert_int_equal(r.data["conn"]["accepted_total"].get<uint64_t>(), 9);
    assert_true(run(model, {"stats", "reset"}).ok);
    assert_true(model.reset);

    assert_true(run(model, {"conn", "kill", "7"}).ok);
    r = run(model, {"conn", "kill", "8"});
    assert_str_eq(r.error, "conn kill: no session 8");
    assert_true(model.killed == std::vector<uint64_t>({7, 8}));
    run(model, {"conn", "kill", "x8"});  // not an id: the model is not asked
    assert_int_equal(model.killed.size(), 2);

    r = run(model, {"reload", "--force"});
    assert_true(model.reload_forced == true);
    assert_false(r.ok);
    assert_str_eq(r.error, "reload failed with 1 error; the previous configuration stays in force");
    assert_str_eq(r.details.dump(),
                  R"({"errors":["smalld.ini:3: rate: expected N/s, got \"x\""]})");

    LogLevel before = log::level();
    r = run(model, {"log-level", "debug"});
    assert_str_eq(r.data.dump(), R"({"log_level":"debug"})");
    assert_true(model.level == LogLevel::Debug);
    assert_int_equal(int(log::level()), int(before));  // the model sets it, not the handler
}

static void handlers(void**) {
    Config config;
    config.path = "/nonexistent/smalld.ini";
    Daemon daemon(std::move(config));
    assert_false(daemon.start().has_value());

    auto r = run(daemon, {"status"});
    assert_true(r.ok);
    assert_str_eq(r.data["state"].get<std::string>(), "running");
    assert_int_equal(r.data["pid"].get<int>(), getpid());
    assert_str_eq(r.data["config"].get<std::string>(), "/nonexistent/smalld.ini");

    daemon.stats().counters.conn_accepted_total = 9;
    r = run(daemon, {"stats"});
    assert_true(r.ok);
    assert_int_equal(r.data["conn"]["accepted_total"].get<uint64_t>(), 9);
    r = run(daemon, {"stats", "reset"});
    assert_true(r.ok);
    assert_int_equal(daemon.stats().counters.conn_accepted_total, 0);
    // Every daemon-wide counter, the ones added later too: all bytes set, then reset.
    static_assert(std::is_trivially_copyable_v<DaemonCounters>);
    std::memset(static_cast<void*>(&daemon.stats().counters), 0x5a, sizeof(DaemonCounters));
    assert_false(daemon.stats().counters == DaemonCounters{});
    assert_true(run(daemon, {"stats", "reset"}).ok);
    assert_true(daemon.stats().counters == DaemonCounters{});

    r = run(daemon, {"metrics"});
    assert_true(r.ok && r.data.is_string());
    assert_non_null(strstr(r.data.get<std::string>().c_str(), "smalld_build_info{version="));

    r = run(daemon, {"listeners"});
    assert_true(r.ok && r.data.is_array() && r.data.empty());
    r = run(daemon, {"conns"});
    assert_true(r.ok && r.data.is_array() && r.data.empty());

    r = run(daemon, {"conn", "kill", "77"});
    assert_false(r.ok);
    assert_str_eq(r.code, "failed");
    assert_str_eq(r.error, "conn kill: no session 77");
    r = run(daemon, {"conn", "kill", "7x"});
    assert_str_eq(r.code, "usage");

    r = run(daemon, {"log-level", "loud"});
    assert_false(r.ok);
    assert_str_eq(r.code, "usage");
    assert_str_eq(r.error,
                  "log-level: expected error, warning, notice, info or debug, got \"loud\"");
    r = run(daemon, {"log-level", "debug"});
    assert_true(r.ok);
    assert_str_eq(r.data["log_level"].get<std::string>(), "debug");
    assert_int_equal(int(log::level()), int(LogLevel::Debug));
    log::set_level(LogLevel::Error);

    r = run(daemon, {"monitor"});
    assert_true(r.ok && r.start_monitor);

    // The file does not exist: the reload fails with the reason, old config kept.
    r = run(daemon, {"reload"});
    assert_false(r.ok);
    assert_str_eq(r.code, "failed");
    assert_true(r.details["errors"].is_array() && !r.details["errors"].empty());
    assert_int_equal(daemon.stats().counters.reload_failed_total, 1);
    assert_str_eq(daemon.config().path, "/nonexistent/smalld.ini");
}

int main() {
    return run_test_group(
        {cmocka_unit_test(matching), cmocka_unit_test(levels), cmocka_unit_test(reply_json),
         cmocka_unit_test(handlers_serialise_the_read_model), cmocka_unit_test(handlers)});
}
