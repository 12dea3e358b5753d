// SPDX-License-Identifier: BSD-2-Clause
// Config parsing from text: defaults from the table, instances and types,
// listeners, and that every error carries its line.
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

#include "config.h"
#include "config_table.h"
#include "services.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;

static ConfigResult parse(const std::string& text) {
    return parse_config(text, "t.ini");
}

static std::string errors_of(const ConfigResult& r) {
    std::string all;
    for (const auto& e : r.errors) all += e.to_string() + "\n";
    return all;
}

static void defaults_come_from_the_table(void**) {
    auto r = parse("[echo]\n");
    assert_true(r.ok());
    const Config& c = *r.config;
    assert_int_equal(c.daemon.max_connections, 4096);
    assert_true(c.daemon.log_connections);
    assert_int_equal(c.daemon.shutdown_timeout.count(), 5000);
    assert_int_equal(c.control.mode, 0660);
    assert_false(c.metrics.listen.has_value());
    assert_int_equal(c.instances.size(), 1);
    const InstanceConfig& echo = c.instances[0];
    assert_int_equal(echo.type, ServiceType::Echo);
    assert_int_equal(echo.max_connections, 1024);
    assert_int_equal(echo.per_source, 16);
    assert_true(echo.rate.per_second == 50);
    assert_int_equal(echo.idle_timeout.count(), 60'000);
    assert_int_equal(echo.max_duration.count(), 3'600'000);
    assert_true(echo.udp_amplification == 1.0);
    assert_int_equal(echo.backlog, 511);
    assert_int_equal(echo.allow.size(), 7);
    assert_int_equal(echo.deny.size(), 0);
    // Neither tcp nor udp: the standard port on every address, both protocols.
    assert_int_equal(echo.tcp.size(), 2);
    assert_int_equal(echo.udp.size(), 2);
    assert_str_eq(echo.tcp[0].to_string(), "0.0.0.0:7");
    assert_str_eq(echo.tcp[1].to_string(), "[::]:7");
    // Every table default parses (else parse_config reports an internal error).
    for (const auto& key : config_keys()) assert_non_null(key.help);
}

// A type's own default for a common key: stamp has no per-source rate limit
// (its drops would look like path loss); the others keep the table's 50/s.
// What smalld -T shows follows, as a default; an explicit rate still applies.
static void stamp_defaults_to_no_rate_limit(void**) {
    auto r = parse("[stamp]\n[echo]\n[limited]\ntype = stamp\nudp = 127.0.0.1:0\nrate = 10/s\n");
    if (!r.ok()) fail_msg("%s", errors_of(r).c_str());
    const Config& c = *r.config;
    assert_true(c.find("stamp")->rate.per_second == 0);
    assert_true(c.find("echo")->rate.per_second == 50);
    assert_true(c.find("limited")->rate.per_second == 10);
    const Setting& shown = c.settings.at("stamp").at("rate");
    assert_str_eq(shown.value, "0/s");
    assert_str_eq(shown.origin(), "default");
    assert_str_eq(c.settings.at("echo").at("rate").value, "50/s");
}

static void status_defaults_to_loopback(void**) {
    auto r = parse("[status]\n");
    assert_true(r.ok());
    assert_str_eq(r.config->instances[0].tcp[0].to_string(), "127.0.0.1:9007");
    assert_str_eq(r.config->instances[0].udp[1].to_string(), "[::1]:9007");
}

static void one_protocol_only(void**) {
    auto r = parse("[echo-lab]\ntype = echo\ntcp = 127.0.0.1:7007\n");
    assert_true(r.ok());
    const auto& lab = r.config->instances[0];
    assert_str_eq(lab.name, "echo-lab");
    assert_int_equal(lab.tcp.size(), 1);
    assert_int_equal(lab.udp.size(), 0);
    assert_non_null(r.config->find("echo-lab"));
    assert_null(r.config->find("echo"));
}

static void type_after_type_specific_key(void**) {
    // Keys are applied once the type is known, wherever `type` stands.
    auto r = parse("[clock]\nformat = rfc822\ntimezone = local\ntype = daytime\noffset = -5\n");
    assert_true(r.ok());
    const auto& clock = r.config->instances[0];
    assert_int_equal(clock.type, ServiceType::Daytime);
    const auto& daytime = own_settings<DaytimeSettings>(clock);
    assert_int_equal(daytime.format, DaytimeFormat::Rfc822);
    assert_true(daytime.local);
    assert_int_equal(daytime.offset, -5);
}

static void all_errors_with_lines(void**) {
    auto r = parse(
        "[daemon]\n"          // 1
        "log_level = loud\n"  // 2
        "bogus = 1\n"         // 3
        "[echo]\n"            // 4
        "rate = fast\n"       // 5
        "rate = 5/s\n"        // 6
        "tcp = 1.2.3.4\n"     // 7
        "[nothing]\n"         // 8
        "garbage line\n");    // 9
    assert_false(r.ok());
    std::string all = errors_of(r);
    assert_int_equal(r.errors.size(), 7);
    assert_int_equal(r.errors[0].line, 2);
    assert_int_equal(r.errors[1].line, 3);
    assert_int_equal(r.errors[2].line, 5);
    assert_int_equal(r.errors[3].line, 6);
    assert_int_equal(r.errors[4].line, 7);
    assert_int_equal(r.errors[5].line, 8);
    assert_int_equal(r.errors[6].line, 9);
    assert_str_eq(r.errors[2].to_string(),
                  "t.ini:5: rate: expected a rate such as 50/s (0/s: unlimited), got \"fast\"");
    // A syntax error is reported even inside a section that is itself wrong.
    assert_non_null(strstr(all.c_str(), "t.ini:9: expected KEY = VALUE"));
}

static void garbage_line_in_good_section(void**) {
    auto r = parse("[echo]\ngarbage line\n[discard]\n");
    assert_false(r.ok());
    assert_int_equal(r.errors.size(), 1);
    assert_str_eq(r.errors[0].to_string(), "t.ini:2: expected KEY = VALUE, got \"garbage line\"");
}

static void long_lines_and_nul(void**) {
    std::string text = "[echo]\nallow = " + std::string(9000, '1') + "\n";
    auto r = parse(text);
    assert_false(r.ok());
    assert_int_equal(r.errors[0].line, 2);
    assert_non_null(strstr(r.errors[0].message.c_str(), "line longer than"));
    auto n = parse(std::string("[echo]\nrate = 5/s\0\n", 18));
    assert_false(n.ok());
    assert_non_null(strstr(n.errors[0].message.c_str(), "NUL byte"));
}

static void empty_and_comment_only(void**) {
    // Nothing to serve is an error, not an empty daemon.
    for (const char* text : {"", "; nothing here\n# nor here\n\n", "[daemon]\n[control]\n"}) {
        auto r = parse(text);
        assert_false(r.ok());
        assert_int_equal(r.errors.size(), 1);
        assert_int_equal(r.errors[0].line, 0);
        assert_non_null(strstr(r.errors[0].to_string().c_str(), "t.ini: no instance:"));
    }
    // A broken header is reported as such, without a second error.
    auto broken = parse("[Echo]\n");
    assert_int_equal(broken.errors.size(), 1);
    assert_non_null(strstr(broken.errors[0].message.c_str(), "section names"));
    auto bom = parse("\xEF\xBB\xBF[echo]\n");
    assert_true(bom.ok());
}

static void lines_up_to_the_maximum(void**) {
    // Twenty prefixes, 27 bytes each: far over inih's default of 200 bytes.
    std::string list;
    for (int i = 0; i < 20; ++i) list += "2001:db8:" + std::to_string(1000 + i) + ":abcd::/64, ";
    auto r = parse("[echo]\nallow = " + list + "127.0.0.0/8\n");
    if (!r.ok()) fprintf(stderr, "%s", errors_of(r).c_str());
    assert_true(r.ok());
    assert_int_equal(r.config->instances[0].allow.size(), 21);
    // Exactly kMaxConfigLine bytes, with either line ending, then one more.
    std::string head = "allow = 127.0.0.0/8,";
    std::string line = head + std::string(kMaxConfigLine - head.size() - 3, ' ') + "::1";
    assert_int_equal(line.size(), kMaxConfigLine);
    for (const char* end : {"\n", "\r\n", ""}) {
        auto ok = parse("[echo]\n" + line + end);
        if (!ok.ok()) fprintf(stderr, "%s", errors_of(ok).c_str());
        assert_true(ok.ok());
        assert_int_equal(ok.config->instances[0].allow.size(), 2);
        auto over = parse("[echo]\n" + line + " " + end + "[discard]\n");
        assert_int_equal(over.errors.size(), 1);
        assert_str_eq(over.errors[0].to_string(), "t.ini:2: line longer than 8192 bytes");
    }
}

static void quotes_file(void**) {
    char path[] = "/tmp/smalld-quotes.XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    std::ofstream(path) << "first quote\n%\nsecond\nquote\n%\n\n%\n"
                        << std::string(600, 'x') << "\n";
    auto r = parse(std::string("[qotd]\nquotes = ") + path + "\n");
    assert_false(r.ok());
    assert_int_equal(r.errors.size(), 1);
    assert_str_eq(r.errors[0].file, path);
    assert_int_equal(r.errors[0].line, 8);
    std::ofstream(path) << "first quote\n%\nsecond\nquote\n";
    auto ok = parse(std::string("[qotd]\nquotes = ") + path + "\n");
    assert_true(ok.ok());
    assert_int_equal(own_settings<QotdSettings>(ok.config->instances[0]).quotes.size(), 2);
    assert_str_eq(own_settings<QotdSettings>(ok.config->instances[0]).quotes[1],
                  "second\r\nquote\r\n");
    // RFC 865's 512 characters include the CRLF smalld ends every quote with.
    std::ofstream(path) << std::string(510, 'x') << "\n";
    auto longest = parse(std::string("[qotd]\nquotes = ") + path + "\n");
    assert_true(longest.ok());
    assert_int_equal(own_settings<QotdSettings>(longest.config->instances[0]).quotes[0].size(),
                     512);
    std::ofstream(path) << std::string(511, 'x') << "\n";
    auto too_long = parse(std::string("[qotd]\nquotes = ") + path + "\n");
    assert_false(too_long.ok());
    assert_non_null(strstr(too_long.errors[0].message.c_str(), "quote of 511 characters"));
    unlink(path);
}

static void missing_file(void**) {
    auto r = load_config("/nonexistent/smalld.ini");
    assert_false(r.ok());
    assert_str_eq(r.errors[0].to_string(),
                  "/nonexistent/smalld.ini: cannot read: No such file or directory");
}

int main() {
    return run_test_group(
        {cmocka_unit_test(defaults_come_from_the_table),
         cmocka_unit_test(stamp_defaults_to_no_rate_limit),
         cmocka_unit_test(status_defaults_to_loopback), cmocka_unit_test(one_protocol_only),
         cmocka_unit_test(type_after_type_specific_key), cmocka_unit_test(all_errors_with_lines),
         cmocka_unit_test(garbage_line_in_good_section), cmocka_unit_test(long_lines_and_nul),
         cmocka_unit_test(empty_and_comment_only), cmocka_unit_test(lines_up_to_the_maximum),
         cmocka_unit_test(quotes_file), cmocka_unit_test(missing_file)});
}
