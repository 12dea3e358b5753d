// smallctl reload prints what the reload changed, key by key; the log line
// and the monitor event carry the same list; "unchanged" only when nothing
// changed. The issue's repro: rate 50/s -> 5/s and a new allow.
#include <unistd.h>

#include <cstring>
#include <string>

#include "harness.h"

#include "../cmocka.hpp"

using harness::TestDaemon;

namespace {

const char* kHead = R"(
[daemon]
log_connections = no
[control]
socket = @DIR@/control.sock
mode = 0666
[echo]
tcp = 127.0.0.1:0
)";

std::string smallctl(const TestDaemon& d, const std::string& args, int* status) {
    std::string bin = harness::env_or("SMALLCTL_BIN", "smallctl");
    return harness::run(bin + " -s " + d.control_socket() + " " + args + " 2>&1", status);
}

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
    d.write_config(R"(
[daemon]
log_connections = no
shutdown_timeout = 2s
[control]
socket = @DIR@/control.sock
mode = 0600
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

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reload_prints_every_changed_key),
        cmocka_unit_test(reload_marks_restart_keys_and_listeners),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
