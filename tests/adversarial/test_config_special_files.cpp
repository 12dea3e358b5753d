// SPDX-License-Identifier: BSD-2-Clause
// Special files where a configuration file belongs: a FIFO, /dev/zero,
// /dev/null, a directory, an empty file, a file too large, and symbolic links
// to each. `smalld -t` refuses each with a clear message and never hangs or
// grows; a reload onto each fails, the daemon keeps every listener, goes on
// serving and still stops on SIGTERM. The same holds for the quotes file a
// configuration names. A configuration with no instance is an error, and a
// reload that would close every listener is refused unless forced.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using harness::contains;
using harness::kSanitized;
using harness::TestDaemon;

namespace {

// Runs `smalld -t -c path`. An unfixed daemon reading /dev/zero grows until it
// dies: outside ASan (which cannot run under an address-space limit) the check
// runs with at most 2 GiB of address space, so the machine survives the test.
std::string check(const std::string& path, int* status) {
    std::string limit = kSanitized ? "" : "prlimit --as=2147483648 ";
    return harness::run(limit + harness::smalld_bin() + " -t -c '" + path + "' 2>&1", status, 30);
}

// The kinds of file put where the configuration belongs.
enum class Kind { Fifo, Dir, DevNull, DevZero, Empty, NoInstance, Huge };
const char* name(Kind kind) {
    switch (kind) {
        case Kind::Fifo:
            return "a FIFO";
        case Kind::Dir:
            return "a directory";
        case Kind::DevNull:
            return "/dev/null";
        case Kind::DevZero:
            return "/dev/zero";
        case Kind::Empty:
            return "an empty file";
        case Kind::NoInstance:
            return "a file with no instance";
        case Kind::Huge:
            return "a 2 MiB file";
    }
    return "?";
}

// Puts a file of `kind` at `path` (replacing what is there), directly or as
// a symbolic link to it, at `target` (path + ".target").
void make(Kind kind, const std::string& path, bool via_symlink) {
    harness::run("rm -rf '" + path + "' '" + path + ".target'");
    std::string at = via_symlink ? path + ".target" : path;
    switch (kind) {
        case Kind::Fifo:
            assert_int_equal(mkfifo(at.c_str(), 0644), 0);
            break;
        case Kind::Dir:
            assert_int_equal(mkdir(at.c_str(), 0755), 0);
            break;
        case Kind::DevNull:
            at = "/dev/null";
            break;
        case Kind::DevZero:
            at = "/dev/zero";
            break;
        case Kind::Empty:
            std::ofstream(at.c_str()).flush();
            break;
        case Kind::NoInstance:
            std::ofstream(at.c_str()) << "[daemon]\nlog_level = info\n[control]\nsocket =\n";
            break;
        case Kind::Huge: {
            std::ofstream out(at.c_str());
            out << "[echo]\ntcp = 127.0.0.1:0\n";
            std::string comment = "; " + std::string(1000, 'x') + "\n";
            for (int i = 0; i < 2048; ++i) out << comment;
            break;
        }
    }
    if (via_symlink || kind == Kind::DevNull || kind == Kind::DevZero)
        assert_int_equal(symlink(at.c_str(), path.c_str()), 0);
}

// What `smalld -t` must say about a file of `kind` at `path`.
std::string expected_message(Kind kind, const std::string& path) {
    switch (kind) {
        case Kind::Empty:
        case Kind::NoInstance:
            return path + ": no instance:";
        case Kind::Huge:
            return path + ": larger than 1 MiB";
        default:
            return path + ": not a regular file";
    }
}

const Kind kAll[] = {Kind::Fifo,  Kind::Dir,        Kind::DevNull, Kind::DevZero,
                     Kind::Empty, Kind::NoInstance, Kind::Huge};

const char* kServing = R"(
[daemon]
shutdown_timeout = 2s
[control]
socket = @DIR@/control.sock
[echo]
tcp = 127.0.0.1:0
udp = 127.0.0.1:0
rate = 0/s
[daytime]
tcp = 127.0.0.1:0
)";

size_t listener_count(const TestDaemon& d) {
    int status = 0;
    std::string out = smallctl(d, "-j listeners", &status);
    size_t n = 0;
    for (size_t at = out.find("\"proto\""); at != std::string::npos;
         at = out.find("\"proto\"", at + 1))
        ++n;
    return n;
}

}  // namespace

static void check_refuses_every_special_file(void**) {
    char templ[] = "/tmp/smalld-special.XXXXXX";
    std::string dir = mkdtemp(templ);
    for (Kind kind : kAll) {
        for (bool via_symlink : {false, true}) {
            std::string path = dir + "/smalld.ini";
            make(kind, path, via_symlink);
            int status = -1;
            std::string out = check(path, &status);
            if (status != 78 || !contains(out, expected_message(kind, path))) {
                fprintf(stderr,
                        "smalld -t on %s%s: exit %d (124: it hung), expected 78 and "
                        "\"%s\"; output:\n%s\n",
                        via_symlink ? "a symbolic link to " : "", name(kind), status,
                        expected_message(kind, path).c_str(), out.c_str());
                fail();
            }
        }
    }
    harness::run("rm -rf '" + dir + "'");
}

static void quotes_file_must_be_regular(void**) {
    char templ[] = "/tmp/smalld-special.XXXXXX";
    std::string dir = mkdtemp(templ);
    for (Kind kind : {Kind::Fifo, Kind::Dir, Kind::DevZero, Kind::Huge}) {
        std::string quotes = dir + "/quotes";
        make(kind, quotes, false);
        std::string ini = dir + "/smalld.ini";
        std::ofstream(ini) << "[control]\nsocket =\n[qotd]\ntcp = 127.0.0.1:0\nquotes = " << quotes
                           << "\n";
        int status = -1;
        std::string out = check(ini, &status);
        std::string want = ini + ":5: quotes: " + quotes +
                           (kind == Kind::Huge ? ": larger than 1 MiB" : ": not a regular file");
        if (status != 78 || !contains(out, want)) {
            fprintf(stderr, "quotes = %s: exit %d (124: it hung), expected 78 and \"%s\":\n%s\n",
                    name(kind), status, want.c_str(), out.c_str());
            fail();
        }
    }
    harness::run("rm -rf '" + dir + "'");
}

// The FIFO first and on its own: an unfixed daemon blocks in open() for good.
static void reload_onto_a_fifo_keeps_serving(void**) {
    for (bool via_signal : {true, false}) {
        TestDaemon d(kServing);
        assert_true(d.started());
        size_t before = listener_count(d);
        assert_true(before == 3);
        make(Kind::Fifo, d.config_path(), false);
        if (via_signal) {
            d.signal(SIGHUP);
            if (!d.wait_for_log("not a regular file")) {
                fprintf(stderr, "SIGHUP with a FIFO as config: no refusal in the log:\n%s\n",
                        d.log().c_str());
                fail();
            }
        } else {
            int status = 0;
            std::string out = smallctl(d, "reload", &status);
            if (status != 1 || !contains(out, d.config_path() + ": not a regular file")) {
                fprintf(stderr, "smallctl reload with a FIFO as config: exit %d (124: hung):\n%s\n",
                        status, out.c_str());
                fail();
            }
        }
        if (!protect::served(d.port("echo", "tcp"))) {
            fprintf(stderr, "echo stopped answering after a reload onto a FIFO\n");
            fail();
        }
        assert_int_equal(listener_count(d), before);
        d.signal(SIGTERM);
        int code = d.wait_exit(harness::kPatienceMs);
        if (code != 0) {
            fprintf(stderr, "SIGTERM after a reload onto a FIFO: exit %d (-1: still running)\n",
                    code);
            fail();
        }
    }
}

static void reload_onto_special_files_keeps_everything(void**) {
    // Under an address-space limit outside ASan: an unfixed daemon reading
    // /dev/zero must die, not take the machine's memory.
    std::vector<std::string> wrapper;
    if (!kSanitized) wrapper = {"prlimit", "--as=2147483648"};
    TestDaemon d(kServing, {}, {}, wrapper);
    assert_true(d.started());
    size_t listeners = listener_count(d);
    long rss_before = d.rss_kib();
    for (Kind kind : kAll) {
        for (bool via_symlink : {false, true}) {
            if (kind == Kind::Fifo && !via_symlink) continue;  // above
            make(kind, d.config_path(), via_symlink);
            int status = 0;
            std::string out = smallctl(d, "reload", &status);
            std::string want = expected_message(kind, d.config_path());
            if (status != 1 || !contains(out, want)) {
                fprintf(stderr,
                        "reload onto %s%s: exit %d (124: hung), expected 1 and \"%s\":\n%s\n",
                        via_symlink ? "a symbolic link to " : "", name(kind), status, want.c_str(),
                        out.c_str());
                fail();
            }
            assert_int_equal(listener_count(d), listeners);
            assert_true(protect::served(d.port("echo", "tcp")));
            std::string st = smallctl(d, "-j status", &status);
            assert_true(contains(st, "\"last_reload\":\"failed: "));
        }
    }
    // Nothing read from /dev/zero stays: well under the 1 MiB bound a file
    // may have, plus the allocator's slack.
    long grown = d.rss_kib() - rss_before;
    if (grown > 16 * 1024) {
        fprintf(stderr, "RSS grew by %ld KiB over the reloads\n", grown);
        fail();
    }
    d.signal(SIGTERM);
    assert_int_equal(d.wait_exit(harness::kPatienceMs), 0);
}

// A reload after which no listener of the running configuration would be
// left (every address changed, or a file cut short) is refused unless the
// operator forces it.
static void reload_closing_every_listener_needs_force(void**) {
    TestDaemon d(kServing);
    assert_true(d.started());
    uint16_t echo = d.port("echo", "tcp");
    const char* moved = R"(
[control]
socket = @DIR@/control.sock
[discard]
tcp = 127.0.0.1:0
)";
    d.write_config(moved);
    int status = 0;
    std::string out = smallctl(d, "reload", &status);
    if (status != 1 || !contains(out, "would close every listener")) {
        fprintf(stderr, "a reload closing every listener: exit %d, expected a refusal:\n%s\n",
                status, out.c_str());
        fail();
    }
    assert_true(contains(out, "--force"));
    assert_int_equal(listener_count(d), 3);
    assert_int_equal(d.port("echo", "tcp"), echo);
    assert_true(protect::served(d.port("echo", "tcp")));
    // SIGHUP cannot force: refused too, and logged.
    size_t mark = d.log_size();
    d.signal(SIGHUP);
    assert_true(d.wait_for_log("would close every listener", harness::kPatienceMs, mark));
    assert_int_equal(listener_count(d), 3);
    // Forced, it goes through.
    out = smallctl(d, "reload --force", &status);
    if (status != 0) {
        fprintf(stderr, "reload --force: exit %d:\n%s\n", status, out.c_str());
        fail();
    }
    assert_int_equal(listener_count(d), 1);
    assert_true(d.wait_for_log("discard: listening on tcp"));
}

int main() {
    return run_test_group({cmocka_unit_test(check_refuses_every_special_file),
                           cmocka_unit_test(quotes_file_must_be_regular),
                           cmocka_unit_test(reload_onto_a_fifo_keeps_serving),
                           cmocka_unit_test(reload_onto_special_files_keeps_everything),
                           cmocka_unit_test(reload_closing_every_listener_needs_force)});
}
