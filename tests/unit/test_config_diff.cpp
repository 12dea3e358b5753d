// SPDX-License-Identifier: BSD-2-Clause
// The reload diff: every key of the table that changes is reported old -> new,
// instances added, removed and retyped are named, restart-only keys are
// marked, and nothing is reported when nothing changed.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "config.h"
#include "config_diff.h"
#include "config_table.h"

#include "../cmocka.hpp"

using namespace smalld;

namespace {

Config parse(const std::string& text) {
    ConfigResult r = parse_config(text, "t.ini");
    for (const auto& e : r.errors) print_error("%s\n", e.to_string().c_str());
    assert_true(r.ok());
    return std::move(*r.config);
}

bool has(const std::vector<std::string>& changes, const std::string& line) {
    bool found = std::find(changes.begin(), changes.end(), line) != changes.end();
    if (!found) {
        print_error("missing: %s\nhave:\n", line.c_str());
        for (const auto& c : changes) print_error("  %s\n", c.c_str());
    }
    return found;
}

}  // namespace

static void same_file_no_changes(void**) {
    const char* text = "[echo]\ntcp = 127.0.0.1:0\nrate = 50/s\n[daytime]\nformat = rfc3339\n";
    assert_true(diff_config(parse(text), parse(text)).empty());
}

// The repro: rate and allow changed, nothing else.
static void rate_and_allow_reported(void**) {
    Config before = parse("[echo]\ntcp = 127.0.0.1:0\nrate = 50/s\n");
    Config after = parse("[echo]\ntcp = 127.0.0.1:0\nrate = 5/s\nallow = 10.0.0.0/8\n");
    auto changes = diff_config(before, after);
    assert_int_equal(changes.size(), 2);
    assert_true(has(changes,
                    "[echo] allow: 127.0.0.0/8, ::1, 10.0.0.0/8, 172.16.0.0/12, "
                    "192.168.0.0/16, fc00::/7, fe80::/10 -> 10.0.0.0/8"));
    assert_true(has(changes, "[echo] rate: 50/s -> 5/s"));
}

// Every instance key of the table, set to a non-default value, is reported.
static void every_instance_key_is_diffed(void**) {
    const char* base = "[echo]\ntcp = 127.0.0.1:0\n";
    const std::vector<std::pair<std::string, std::string>> values = {
        {"deny", "192.0.2.0/24"}, {"max_connections", "7"}, {"per_source", "3"},
        {"idle_timeout", "5s"},   {"max_duration", "10m"},  {"udp_amplification", "2.5"},
        {"udp_loop_guard", "no"}, {"backlog", "16"},        {"udp", "127.0.0.1:0"},
        {"tcp", "127.0.0.2:0"},
    };
    for (const auto& [key, value] : values) {
        std::string text = key == "tcp" ? "[echo]\ntcp = " + value + "\n"
                                        : std::string(base) + key + " = " + value + "\n";
        auto changes = diff_config(parse(base), parse(text));
        assert_int_equal(changes.size(), 1);
        assert_true(changes[0].starts_with("[echo] " + key + ": "));
        assert_true(changes[0].ends_with(" -> " + value));
    }
    // Every instance key in the table is covered, but type, the type-specific
    // ones (below) and those above.
    for (const auto& key : config_keys()) {
        if (key.scope != Scope::Instance || key.types != 0 || key.name == std::string("type") ||
            key.name == std::string("allow") || key.name == std::string("rate") ||
            key.name == std::string("enabled"))
            continue;
        bool covered = std::any_of(values.begin(), values.end(),
                                   [&](const auto& v) { return v.first == key.name; });
        if (!covered) print_error("instance key %s has no diff case\n", key.name);
        assert_true(covered);
    }
}

static void type_specific_keys(void**) {
    auto changes = diff_config(parse("[daytime]\ntcp = 127.0.0.1:0\n"),
                               parse("[daytime]\ntcp = 127.0.0.1:0\nformat = rfc822\n"
                                     "timezone = local\noffset = 60\n"));
    assert_int_equal(changes.size(), 3);
    assert_true(has(changes, "[daytime] format: ctime -> rfc822"));
    assert_true(has(changes, "[daytime] timezone: utc -> local"));
    assert_true(has(changes, "[daytime] offset: 0 -> 60"));
}

static void daemon_control_metrics_keys(void**) {
    const char* inst = "[echo]\ntcp = 127.0.0.1:0\n";
    auto changes = diff_config(
        parse(inst), parse(std::string("[daemon]\nlog_level = debug\nlog_connections = no\n"
                                       "max_connections = 10\nshutdown_timeout = 1s\n"
                                       "output_buffer = 128k\n[control]\nmode = 0600\n"
                                       "socket = /run/x.sock\n[metrics]\nlisten = 127.0.0.1:0\n"
                                       "details = 127.0.0.0/8\n") +
                           inst));
    assert_true(has(changes, "[daemon] log_level: info -> debug"));
    assert_true(has(changes, "[daemon] log_connections: yes -> no"));
    assert_true(has(changes, "[daemon] max_connections: 4096 -> 10"));
    assert_true(has(changes, "[daemon] shutdown_timeout: 5s -> 1s"));
    assert_true(has(changes, "[daemon] output_buffer: 64k -> 128k"));
    assert_true(has(changes, "[control] mode: 0660 -> 0600 (takes effect at the next restart)"));
    assert_true(has(changes,
                    "[metrics] listen: \"\" -> 127.0.0.1:0 (takes effect at the next "
                    "restart)"));
    // Read at each request: a reload applies it.
    assert_true(has(changes, "[metrics] details: \"\" -> 127.0.0.0/8"));
    assert_int_equal(changes.size(), 9);
}

static void instances_added_removed_retyped(void**) {
    auto changes =
        diff_config(parse("[echo]\ntcp = 127.0.0.1:0\n[a]\ntype = echo\ntcp = 127.0.0.1:0\n"
                          "[gone]\ntype = time\ntcp = 127.0.0.1:0\n"),
                    parse("[echo]\ntcp = 127.0.0.1:0\n[a]\ntype = daytime\ntcp = 127.0.0.1:0\n"
                          "[new]\ntype = qotd\ntcp = 127.0.0.1:0\n"));
    assert_true(has(changes, "removed instance [gone]"));
    assert_true(has(changes, "added instance [new] of type qotd"));
    assert_true(has(changes, "[a] type: echo -> daytime"));
    assert_true(has(changes, "[a] format: (does not apply) -> ctime"));
    // Switched off: the instance is gone, as if removed.
    changes = diff_config(parse("[echo]\ntcp = 127.0.0.1:0\n[time]\ntcp = 127.0.0.1:0\n"),
                          parse("[echo]\ntcp = 127.0.0.1:0\n[time]\ntcp = 127.0.0.1:0\n"
                                "enabled = no\n"));
    assert_int_equal(changes.size(), 1);
    assert_true(has(changes, "removed instance [time]"));
}

// A file a key names: its new content is a change though the path is the
// same; the same bytes written again, or a touch, are not; the report names
// the path, never the content.
static void files_keys_name_are_fingerprinted(void**) {
    char dir[] = "/tmp/smalld-diff-XXXXXX";
    assert_non_null(mkdtemp(dir));
    std::string key = std::string(dir) + "/stamp.key", quotes = std::string(dir) + "/quotes";
    auto write = [](const std::string& path, const std::string& text) {
        std::ofstream(path, std::ios::trunc) << text;
        chmod(path.c_str(), 0600);
    };
    write(key, "key-one");
    write(quotes, "a\n%\nb\n");
    std::string text = "[stamp]\nudp = 127.0.0.1:0\nkey_file = " + key +
                       "\n[qotd]\ntcp = 127.0.0.1:0\nquotes = " + quotes + "\n";
    Config before = parse(text);
    write(key, "key-one");
    utimensat(AT_FDCWD, quotes.c_str(), nullptr, 0);
    assert_true(diff_config(before, parse(text)).empty());
    write(key, "key-two");  // the same size
    write(quotes, "a\n%\nc\n");
    auto changes = diff_config(before, parse(text));
    assert_int_equal(changes.size(), 2);
    assert_true(has(changes, "[stamp] key_file: " + key + " changed"));
    assert_true(has(changes, "[qotd] quotes: " + quotes + " changed"));
    // Every key that names a file is fingerprinted: a property of the key.
    for (const auto& spec : config_keys())
        assert_int_equal(spec.names_file, spec.name == std::string("key_file") ||
                                              spec.name == std::string("quotes"));
    unlink(key.c_str());
    unlink(quotes.c_str());
    rmdir(dir);
}

int main() {
    return run_test_group(
        {cmocka_unit_test(same_file_no_changes), cmocka_unit_test(rate_and_allow_reported),
         cmocka_unit_test(every_instance_key_is_diffed), cmocka_unit_test(type_specific_keys),
         cmocka_unit_test(daemon_control_metrics_keys),
         cmocka_unit_test(instances_added_removed_retyped),
         cmocka_unit_test(files_keys_name_are_fingerprinted)});
}
