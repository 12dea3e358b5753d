// SPDX-License-Identifier: BSD-2-Clause
// Long configuration lines: every line up to the documented maximum (8192
// bytes, smalld.ini(5)) is read whole, so a 20-prefix allow list works, at
// start-up, with `smalld -t` and on reload; a longer line is an error at its
// line, never a silent cut.
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using harness::contains;
using harness::TestDaemon;

namespace {

constexpr size_t kMaxLine = 8192;  // smalld.ini(5)

// Twenty prefixes, loopback last: a connection from 127.0.0.1 is admitted
// only if the whole line was read.
std::string twenty_prefixes() {
    std::string list;
    for (int i = 0; i < 19; ++i) list += "2001:db8:" + std::to_string(1000 + i) + ":abcd::/64, ";
    return list + "127.0.0.0/8";
}

std::string config_with(const std::string& allow_line) {
    return "[control]\nsocket = @DIR@/control.sock\n[echo]\ntcp = 127.0.0.1:0\n" + allow_line +
           "\n";
}

bool echo_admits(const TestDaemon& d) {
    int fd = harness::tcp_connect(d.port("echo", "tcp"));
    if (fd < 0) return false;
    bool ok = harness::send_all(fd, "hello\n") && harness::recv_exactly(fd, 6) == "hello\n";
    close(fd);
    return ok;
}

}  // namespace

static void twenty_prefix_allow_list(void**) {
    std::string line = "allow = " + twenty_prefixes();
    assert_true(line.size() > 400);
    TestDaemon d(config_with(line));
    if (!d.started()) {
        fprintf(stderr, "a %zu-byte allow line stopped the start:\n%s\n", line.size(),
                d.log().c_str());
        fail();
    }
    assert_true(echo_admits(d));
    int status = -1;
    std::string out =
        harness::run(harness::smalld_bin() + " -t -c " + d.config_path() + " 2>&1", &status);
    assert_int_equal(status, 0);
    assert_str_eq(out, "configuration OK\n");
    // A reload with a longer list still applies it whole.
    d.write_config(config_with("allow = " + twenty_prefixes() + ", " + twenty_prefixes()));
    out = smallctl(d, "reload", &status);
    if (status != 0) {
        fprintf(stderr, "reload with a 40-prefix allow line: exit %d:\n%s\n", status, out.c_str());
        fail();
    }
    assert_true(echo_admits(d));
}

static void longest_line_and_one_byte_more(void**) {
    // Exactly the maximum, not counting the newline: blanks between list items
    // are trimmed, so this is the same list as "127.0.0.0/8, ::1".
    std::string head = "allow = 127.0.0.0/8,";
    std::string line = head + std::string(kMaxLine - head.size() - 3, ' ') + "::1";
    assert_int_equal(line.size(), kMaxLine);
    char templ[] = "/tmp/smalld-long.XXXXXX";
    std::string dir = mkdtemp(templ);
    std::string path = dir + "/smalld.ini";
    for (const char* ending : {"\n", "\r\n"}) {
        std::ofstream(path) << "[control]\nsocket =\n[echo]\ntcp = 127.0.0.1:0\n" << line << ending;
        int status = -1;
        std::string out = harness::run(harness::smalld_bin() + " -t -c " + path + " 2>&1", &status);
        if (status != 0) {
            fprintf(stderr, "a line of %zu bytes: exit %d:\n%s\n", line.size(), status,
                    out.c_str());
            fail();
        }
        // One byte more, and a comment line over the limit too: each reported
        // at its own line.
        std::ofstream(path) << "[control]\nsocket =\n[echo]\ntcp = 127.0.0.1:0\n"
                            << line << "x" << ending << "; " << std::string(kMaxLine, 'c')
                            << ending;
        out = harness::run(harness::smalld_bin() + " -t -c " + path + " 2>&1", &status);
        assert_int_equal(status, 78);
        for (int at : {5, 6}) {
            std::string want = path + ":" + std::to_string(at) + ": line longer than 8192 bytes";
            if (!contains(out, want)) {
                fprintf(stderr, "expected \"%s\" in:\n%s\n", want.c_str(), out.c_str());
                fail();
            }
        }
    }
    harness::run("rm -rf '" + dir + "'");
}

int main() {
    return run_test_group({cmocka_unit_test(twenty_prefix_allow_list),
                           cmocka_unit_test(longest_line_and_one_byte_more)});
}
