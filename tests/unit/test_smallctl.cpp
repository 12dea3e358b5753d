// SPDX-License-Identifier: BSD-2-Clause
// smallctl's pure parts: abbreviation rules and table output.
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../cmocka.hpp"
#include "commands.h"
#include "control_commands.h"
#include "format.h"

using namespace smallctl;

namespace {

std::string resolved(std::vector<std::string> words) {
    Resolved r = resolve(words);
    if (!r.command) return "error: " + r.error;
    std::string out(r.command->name);
    for (const auto& a : r.args) out += " [" + a + "]";
    return out;
}

}  // namespace

static void abbreviations(void**) {
    assert_str_eq(resolved({"status"}), "status");
    assert_str_eq(resolved({"sta"}), "status");
    assert_str_eq(resolved({"stat"}), "status");
    assert_str_eq(resolved({"statu"}), "status");
    assert_str_eq(resolved({"stats"}), "stats");
    assert_str_eq(resolved({"st"}), "error: \"st\" is ambiguous: status stats");
    assert_str_eq(resolved({"s"}), "error: \"s\" is ambiguous: status stats");
    assert_str_eq(resolved({"stats", "r"}), "stats reset");
    assert_str_eq(resolved({"stats", "reset"}), "stats reset");
    assert_str_eq(resolved({"li"}), "listeners");
    assert_str_eq(resolved({"l"}), "error: \"l\" is ambiguous: listeners log-level");
    assert_str_eq(resolved({"lo", "debug"}), "log-level [debug]");
    assert_str_eq(resolved({"conns"}), "conns");
    assert_str_eq(resolved({"con"}), "error: \"con\" is ambiguous: conns conn");
    assert_str_eq(resolved({"conn", "k", "42"}), "conn kill [42]");
    assert_str_eq(resolved({"conn", "kill", "42"}), "conn kill [42]");
    assert_str_eq(resolved({"mo"}), "monitor");
    assert_str_eq(resolved({"me"}), "metrics");
    assert_str_eq(resolved({"m"}), "error: \"m\" is ambiguous: metrics monitor");
    assert_str_eq(resolved({"r"}), "reload");
}

static void usage_errors(void**) {
    assert_str_eq(resolved({"frobnicate"}), "error: unknown command \"frobnicate\"");
    assert_str_eq(resolved({}), "error: no command given");
    assert_str_eq(resolved({"conn"}), "error: usage: smallctl conn kill ID");
    assert_str_eq(resolved({"conn", "kill"}), "error: usage: smallctl conn kill ID");
    assert_str_eq(resolved({"conn", "kill", "1", "2"}), "error: usage: smallctl conn kill ID");
    assert_str_eq(resolved({"conn", "x"}), "error: conn: unknown command \"x\"");
    assert_str_eq(resolved({"stats", "x"}), "error: usage: smallctl stats");
    assert_str_eq(resolved({"log-level"}), "error: usage: smallctl log-level LEVEL");
    assert_str_eq(resolved({"status", "now"}), "error: usage: smallctl status");
}

static void tables(void**) {
    std::string t =
        render_table({"ID", "INSTANCE", "IN"}, {{"1", "echo", "10"}, {"12", "chargen-lab", "5"}});
    assert_str_eq(t,
                  "ID  INSTANCE     IN\n"
                  " 1  echo         10\n"
                  "12  chargen-lab   5\n");
    assert_str_eq(render_table({"A", "B"}, {}), "A  B\n");
}

static void replies(void**) {
    nlohmann::json listeners = nlohmann::json::parse(
        R"([{"instance":"echo","type":"echo","proto":"tcp","address":"127.0.0.1","port":7,
             "origin":"config"}])");
    assert_str_eq(format_reply("listeners", listeners),
                  "INSTANCE  TYPE  PROTO  ADDRESS    PORT  ORIGIN\n"
                  "echo      echo  tcp    127.0.0.1     7  config\n");
    assert_str_eq(format_reply("conns", nlohmann::json::array()), "no sessions\n");
    assert_str_eq(format_reply("reload", {{"changes", {"added instance [x]"}}}),
                  "reload: 1 change\n  added instance [x]\n");
    assert_str_eq(format_reply("reload", {{"changes", nlohmann::json::array()}}),
                  "reload: configuration unchanged\n");
    assert_str_eq(format_reply("metrics", "smalld_x 1\n"), "smalld_x 1\n");
    assert_str_eq(format_reply("conn kill", {{"killed", 42}}), "session 42 killed\n");
    std::string stats = format_reply(
        "stats", nlohmann::json::parse(
                     R"({"version":2,"conn":{"current":1},"instances":{"echo":{"type":"echo",
            "tcp":{"sessions_total":3,"sessions_current":1,"read_bytes_total":10,
                   "written_bytes_total":10,"conn":{"rejected_total":{"acl":0,"rate":2}}}}}})"));
    // Nested in the JSON, shown by their dotted names.
    assert_non_null(strstr(stats.c_str(), "\nconn.current      1\n"));
    assert_null(strstr(stats.c_str(), "version"));
    assert_non_null(strstr(stats.c_str(), "echo tcp rejected rate: 2\n"));
    assert_str_eq(format_event({{"event", "session_open"}, {"id", 3}, {"time", 0.25}}, true),
                  "00:00:00.250 session_open id=3\n");
}

// A monitor line reads who, what, then the figures: the session id first,
// the instance and peer next, the bytes last; not alphabetical order
// (bytes_in= before id=).
static void monitor_keys_in_a_fixed_order(void**) {
    nlohmann::json close = {{"event", "session_close"}, {"time", 0.5},
                            {"bytes_in", 10},           {"bytes_out", 20},
                            {"duration", 1.5},          {"id", 7},
                            {"instance", "echo"},       {"peer", "127.0.0.1:4000"},
                            {"reason", "eof"},          {"zz_new", "x"}};
    assert_str_eq(format_event(close, true),
                  "00:00:00.500 session_close id=7 instance=echo peer=127.0.0.1:4000 reason=eof "
                  "duration=1.500 zz_new=x bytes_in=10 bytes_out=20\n");
    nlohmann::json refused = {{"event", "rejected"}, {"count", 3},     {"instance", "echo"},
                              {"peer", "10.0.0.1"},  {"proto", "tcp"}, {"reason", "rate"}};
    assert_str_eq(format_event(refused, true),
                  "rejected instance=echo proto=tcp peer=10.0.0.1 reason=rate count=3\n");
}

// Whatever the daemon sends as a successful reply, smallctl does not throw:
// a missing or mistyped `data` is an error message.
static void malformed_replies_are_errors(void**) {
    using nlohmann::json;
    std::string error;
    assert_false(render_reply("status", json::parse(R"({"ok":true})"), &error).has_value());
    assert_str_eq(error, "the reply has no data");
    assert_false(
        render_reply("status", json::parse(R"({"ok":true,"data":null})"), &error).has_value());
    assert_non_null(strstr(error.c_str(), "null"));
    assert_false(
        render_reply("listeners", json::parse(R"({"ok":true,"data":{}})"), &error).has_value());
    assert_false(
        render_reply("metrics", json::parse(R"({"ok":true,"data":[]})"), &error).has_value());
    assert_false(
        render_reply("conn kill", json::parse(R"({"ok":true,"data":"x"})"), &error).has_value());
    // The right type outside, the wrong one inside.
    assert_false(
        render_reply("status", json::parse(R"({"ok":true,"data":{"uptime_seconds":"x"}})"), &error)
            .has_value());
    assert_false(
        render_reply(
            "stats",
            json::parse(
                R"({"ok":true,"data":{"instances":{"e":{"tcp":{"conn":{"rejected_total":{"acl":"x"}}}}}}})"),
            &error)
            .has_value());
    assert_false(render_reply("conns",
                              json::parse(R"({"ok":true,"data":[{"id":1,"age_seconds":[]}]})"),
                              &error)
                     .has_value());
    // And a good reply still renders.
    auto text = render_reply("log-level", json::parse(R"({"ok":true,"data":{"log_level":"info"}})"),
                             &error);
    assert_true(text.has_value());
    assert_str_eq(*text, "log level is now info\n");
}

// smallctl's table and the daemon's are both made from the protocol's
// (control_protocol.h): the same commands in the same order, argument
// counts, usage, and the admin mark in the summary.
static void command_table_matches_the_daemon(void**) {
    auto daemon = smalld::control_commands();
    const auto& client = commands();
    assert_int_equal(client.size(), daemon.size());
    for (size_t i = 0; i < client.size(); ++i) {
        assert_str_eq(std::string(client[i].name), std::string(daemon[i].name));
        assert_int_equal(client[i].min_args, daemon[i].min_args);
        assert_int_equal(client[i].max_args, daemon[i].max_args);
        assert_str_eq(std::string(client[i].usage), std::string(daemon[i].usage));
        assert_int_equal(client[i].admin(), daemon[i].level == smalld::ControlLevel::Admin);
        std::string line = "  " + std::string(client[i].usage);
        line += std::string(20 - line.size(), ' ') + " " + std::string(client[i].help);
        bool marked = usage_summary().find(line + " (admin)\n") != std::string::npos;
        assert_int_equal(marked, client[i].admin());
    }
}

// `smallctl help [COMMAND]`: resolved like a command (abbreviations too),
// answered from smallctl's own table.
static void help(void**) {
    assert_str_eq(resolved({"help"}), "help");
    assert_str_eq(resolved({"h"}), "help");
    assert_str_eq(resolved({"help", "conn", "kill"}), "help [conn] [kill]");
    assert_str_eq(resolved({"help", "a", "b", "c"}), "error: usage: smallctl help [COMMAND]");

    std::string error;
    assert_str_eq(*help_text({}, &error), usage_summary());
    std::string conns = *help_text({"conns"}, &error);
    assert_true(conns.starts_with("usage: smallctl conns\n"));
    assert_non_null(strstr(conns.c_str(), "Read-only"));
    std::string kill = *help_text({"conn"}, &error);
    assert_true(kill.starts_with("usage: smallctl conn kill ID\n"));
    assert_non_null(strstr(kill.c_str(), "Admin"));
    assert_str_eq(*help_text({"conn", "k"}, &error), kill);
    assert_true(help_text({"sta"}, &error)->starts_with("usage: smallctl status\n"));
    std::string stats = *help_text({"stats"}, &error);
    assert_non_null(strstr(stats.c_str(), "usage: smallctl stats\n"));
    assert_non_null(strstr(stats.c_str(), "\nusage: smallctl stats reset\n"));
    assert_true(help_text({"help"}, &error)->starts_with("usage: smallctl help [COMMAND]\n"));

    assert_false(help_text({"frob"}, &error).has_value());
    assert_str_eq(error, "unknown command \"frob\"");
    assert_false(help_text({"conn", "x"}, &error).has_value());
    assert_str_eq(error, "conn: unknown command \"x\"");
    assert_false(help_text({"status", "now"}, &error).has_value());
    assert_str_eq(error, "usage: smallctl help [COMMAND]");
    assert_false(help_text({"st"}, &error).has_value());
    assert_str_eq(error, "\"st\" is ambiguous: status stats");
}

// Every command has help text, and no line of it is wider than a terminal.
static void help_fits_a_terminal(void**) {
    std::vector<std::string> texts = {usage_summary()};
    std::string error;
    for (const auto& c : commands()) {
        assert_false(c.details.empty());
        std::vector<std::string> words;
        std::string name(c.name);
        for (size_t at = 0, space; at <= name.size(); at = space + 1) {
            space = name.find(' ', at);
            if (space == std::string::npos) space = name.size();
            words.push_back(name.substr(at, space - at));
        }
        texts.push_back(*help_text(words, &error));
    }
    for (const auto& text : texts) {
        size_t at = 0;
        while (at < text.size()) {
            size_t end = text.find('\n', at);
            if (end == std::string::npos) end = text.size();
            if (end - at > 79) fail_msg("too wide: %s", text.substr(at, end - at).c_str());
            at = end + 1;
        }
    }
}

// -t: seconds, fractions included, within an hour; monitor never gives up on
// a quiet daemon sooner than two of its keep-alive periods.
void timeout_option(void**) {
    assert_int_equal(smallctl::parse_timeout_ms("5"), 5000);
    assert_int_equal(smallctl::parse_timeout_ms("0.5"), 500);
    assert_int_equal(smallctl::parse_timeout_ms("3600"), 3'600'000);
    assert_int_equal(smallctl::parse_timeout_ms("0.0001"), 1);
    for (const char* bad : {"0", "-1", "", "5s", "abc", "3601", "nan", "inf", "1e9"})
        assert_int_equal(smallctl::parse_timeout_ms(bad), 0);
    assert_int_equal(smallctl::monitor_silence_ms(5000), 30'000);
    assert_int_equal(smallctl::monitor_silence_ms(60'000), 60'000);
}

int main() {
    return run_test_group(
        {cmocka_unit_test(help), cmocka_unit_test(help_fits_a_terminal),
         cmocka_unit_test(abbreviations), cmocka_unit_test(usage_errors), cmocka_unit_test(tables),
         cmocka_unit_test(replies), cmocka_unit_test(monitor_keys_in_a_fixed_order),
         cmocka_unit_test(malformed_replies_are_errors),
         cmocka_unit_test(command_table_matches_the_daemon), cmocka_unit_test(timeout_option)});
}
