// SPDX-License-Identifier: BSD-2-Clause
// smallctl reload prints what the reload changed, key by key; the log line
// and the monitor event carry the same list; "unchanged" only when nothing
// changed. The issue's repro: rate 50/s -> 5/s and a new allow.
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

#include "harness.h"

#include "../cmocka.hpp"

using harness::TestDaemon;

namespace {

const std::string kHead = harness::control_head() + R"(
[echo]
tcp = 127.0.0.1:0
)";

}  // namespace

static void reload_prints_every_changed_key(void**) {
    TestDaemon d(std::string(kHead) + "rate = 50/s\n");
    assert_true(d.started());
    int status = -1;
    std::string out = smallctl(d, "reload", &status);
    assert_int_equal(status, 0);
    assert_string_equal(out.c_str(), "reload: configuration unchanged\n");

    size_t mark = d.log_size();
    d.write_config(std::string(kHead) + "rate = 5/s\nallow = 10.0.0.0/8\n");
    out = smallctl(d, "reload", &status);
    assert_int_equal(status, 0);
    assert_string_equal(out.c_str(),
                        "reload: 2 changes\n"
                        "  [echo] allow: 127.0.0.0/8, ::1, 10.0.0.0/8, 172.16.0.0/12, "
                        "192.168.0.0/16, fc00::/7, fe80::/10 -> 10.0.0.0/8\n"
                        "  [echo] rate: 50/s -> 5/s\n");
    assert_true(d.wait_for_log("reload done: 2 changes: [echo] allow: ", 5000, mark));
    assert_non_null(strstr(d.log().c_str() + mark, "; [echo] rate: 50/s -> 5/s"));
    // Applied: 127.0.0.1 is no longer admitted.
    int fd = harness::tcp_connect(d.port("echo", "tcp"));
    assert_true(fd >= 0);
    assert_string_equal(harness::recv_until_eof(fd, 100, 5000).c_str(), "");
    close(fd);

    // Again, unchanged.
    out = smallctl(d, "reload", &status);
    assert_int_equal(status, 0);
    assert_string_equal(out.c_str(), "reload: configuration unchanged\n");
}

static void reload_marks_restart_keys_and_listeners(void**) {
    TestDaemon d(kHead);
    assert_true(d.started());
    d.write_config(harness::control_head("0600", "log_connections = no\nshutdown_timeout = 2s\n") +
                   R"(
[echo]
tcp = 127.0.0.1:0
udp = 127.0.0.1:0
)");
    int status = -1;
    std::string out = smallctl(d, "reload", &status);
    assert_int_equal(status, 0);
    assert_non_null(strstr(out.c_str(), "  [daemon] shutdown_timeout: 5s -> 2s\n"));
    assert_non_null(
        strstr(out.c_str(), "  [control] mode: 0666 -> 0600 (takes effect at the next restart)\n"));
    assert_non_null(strstr(out.c_str(), "  [echo] udp: \"\" -> 127.0.0.1:0\n"));
    assert_non_null(strstr(out.c_str(), "  added echo udp 127.0.0.1:0"));
}

// A reload re-reads FILE.d/*.ini; the diff names what the drop-in changed.
static void reload_rereads_dropins(void**) {
    TestDaemon d(std::string(kHead) + "[time]\ntcp = 127.0.0.1:0\n");
    assert_true(d.started());
    std::string dir = d.config_path() + ".d";
    assert_int_equal(mkdir(dir.c_str(), 0755), 0);
    std::ofstream(dir + "/50-local.ini") << "[echo]\nrate = 5/s\n[time]\nenabled = no\n";
    int status = -1;
    std::string out = smallctl(d, "reload", &status);
    assert_int_equal(status, 0);
    assert_non_null(strstr(out.c_str(), "  [echo] rate: 50/s -> 5/s\n"));
    assert_non_null(strstr(out.c_str(), "  removed instance [time]\n"));
    assert_non_null(strstr(out.c_str(), "  removed time tcp 127.0.0.1:0"));
    // A broken drop-in: refused, with its own FILE:LINE.
    std::ofstream(dir + "/60-bad.ini") << "[echo]\n\nrate = fast\n";
    out = smallctl(d, "reload", &status);
    assert_int_equal(status, 1);
    assert_non_null(strstr(out.c_str(), (dir + "/60-bad.ini:3: rate: expected").c_str()));
}

// smalld -T prints the merged configuration with each value's origin and
// exits 0, or 78 with the errors, like -t.
static void dump_config_shows_origins(void**) {
    char tmpl[] = "/tmp/smalld-dump-XXXXXX";
    std::string dir = mkdtemp(tmpl);
    std::string ini = dir + "/s.ini";
    std::ofstream(ini) << "[echo]\ntcp = 127.0.0.1:0\nrate = 50/s\n";
    mkdir((ini + ".d").c_str(), 0755);
    std::ofstream(ini + ".d/10-acl.ini") << "; local\n[echo]\nallow = 10.0.0.0/8\n";
    std::string bin = harness::smalld_bin();
    int status = -1;
    std::string out = harness::run(bin + " --dump-config -c " + ini + " 2>&1", &status);
    assert_int_equal(status, 0);
    assert_non_null(strstr(out.c_str(), "\n[echo]\n"));
    auto line_of = [&](const std::string& key) {
        size_t at = out.find("\n" + key + " ", out.find("\n[echo]\n"));
        assert_true(at != std::string::npos);
        return out.substr(at + 1, out.find('\n', at + 1) - at - 1);
    };
    assert_true(line_of("allow").starts_with("allow = 10.0.0.0/8 "));
    assert_true(line_of("allow").ends_with("; " + ini + ".d/10-acl.ini:3"));
    assert_true(line_of("rate").ends_with("; " + ini + ":3"));
    assert_true(line_of("deny").ends_with("; default"));
    std::ofstream(ini + ".d/20-bad.ini") << "[echo]\nrate = fast\n";
    out = harness::run(bin + " -T -c " + ini + " 2>&1", &status);
    assert_int_equal(status, 78);
    assert_non_null(strstr(out.c_str(), (ini + ".d/20-bad.ini:2: rate").c_str()));
    harness::run("rm -rf '" + dir + "'");
}

int main() {
    return run_test_group({cmocka_unit_test(reload_prints_every_changed_key),
                           cmocka_unit_test(reload_marks_restart_keys_and_listeners),
                           cmocka_unit_test(reload_rereads_dropins),
                           cmocka_unit_test(dump_config_shows_origins)});
}
