// SPDX-License-Identifier: BSD-2-Clause
// Journal entries (the native protocol sd_journal_send speaks) and the
// non-blocking writer: a full journal socket makes it wait, never block.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "log_journal.h"
// cmocka last: its macros clash with the standard headers.
#include "../cmocka.hpp"

using namespace smalld;

static void entry_fields(void**) {
    LogFields fields{"echo", "127.0.0.1:40000", 7, "idle timeout", {}};
    std::string entry =
        journal::format_entry(6, "session 7 closed: echo 127.0.0.1:40000", "smalld", fields);
    assert_str_eq(entry,
                  "MESSAGE=session 7 closed: echo 127.0.0.1:40000\n"
                  "PRIORITY=6\n"
                  "SYSLOG_IDENTIFIER=smalld\n"
                  "SMALLD_INSTANCE=echo\n"
                  "SMALLD_PEER=127.0.0.1:40000\n"
                  "SMALLD_SESSION=7\n"
                  "SMALLD_REASON=idle timeout\n");
    // Fields that do not apply are left out.
    entry = journal::format_entry(5, "smalld ready", "smalld", LogFields{});
    assert_str_eq(entry, "MESSAGE=smalld ready\nPRIORITY=5\nSYSLOG_IDENTIFIER=smalld\n");
}

// The entries a query picks out carry a MESSAGE_ID (`journalctl
// MESSAGE_ID=...`, as systemd's own "Started"/"Stopped" entries do): a fixed
// 128-bit id per kind, distinct, and each listed in smalld(8).
static void message_ids(void**) {
    LogFields fields{"echo", "127.0.0.1:4000", 0, "rate", journal::message_id::kRefused};
    std::string entry = journal::format_entry(5, "echo: refused tcp", "smalld", fields);
    assert_str_eq(entry,
                  "MESSAGE=echo: refused tcp\n"
                  "MESSAGE_ID=8b589c4ff1414b2596d3850d94ab1c3d\n"
                  "PRIORITY=5\n"
                  "SYSLOG_IDENTIFIER=smalld\n"
                  "SMALLD_INSTANCE=echo\n"
                  "SMALLD_PEER=127.0.0.1:4000\n"
                  "SMALLD_REASON=rate\n");
    const std::string_view ids[] = {journal::message_id::kStarted, journal::message_id::kStopped,
                                    journal::message_id::kReloaded,
                                    journal::message_id::kReloadFailed,
                                    journal::message_id::kRefused};
    const char* dir = getenv("SMALLD_SOURCE_DIR");
    std::ifstream page(std::string(dir ? dir : ".") + "/man/smalld.8");
    std::string man((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
    assert_true(man.size() > 1000);
    for (size_t i = 0; i < std::size(ids); ++i) {
        assert_int_equal(ids[i].size(), 32);
        assert_true(ids[i].find_first_not_of("0123456789abcdef") == std::string_view::npos);
        for (size_t j = 0; j < i; ++j) assert_true(ids[i] != ids[j]);
        if (man.find(std::string(ids[i])) == std::string::npos)
            fail_msg("smalld(8) does not list MESSAGE_ID %.*s", int(ids[i].size()), ids[i].data());
    }
}

// A value with a newline takes the binary-safe form: NAME\n, 64-bit LE size, data.
static void entry_newline_value(void**) {
    std::string entry = journal::format_entry(3, "a\nb", "", LogFields{});
    std::string expected =
        std::string("MESSAGE\n") + std::string("\3\0\0\0\0\0\0\0", 8) + "a\nb\n" + "PRIORITY=3\n";
    assert_int_equal(entry.size(), expected.size());
    assert_true(entry == expected);
}

// A journal that does not read: the writer reports Busy and keeps the entry,
// without blocking; once read, the rest goes out in order.
static void full_socket_never_blocks(void**) {
    char dir[] = "/tmp/smalld-journal.XXXXXX";
    assert_non_null(mkdtemp(dir));
    std::string path = std::string(dir) + "/socket";
    int server = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, path.c_str());
    assert_int_equal(bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    int small = 4096;
    setsockopt(server, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);

    journal::Writer writer;
    assert_false(journal::Writer().open((std::string(dir) + "/absent").c_str()));
    assert_true(writer.open(path.c_str()));
    uint64_t lost = 0;
    int sent = 0;
    journal::Writer::Result result = journal::Writer::Result::Done;
    for (; sent < 100000 && result == journal::Writer::Result::Done; ++sent) {
        assert_true(writer.enqueue(journal::format_entry(
            6, "line " + std::to_string(sent), "smalld", LogFields{"echo", {}, 0, {}, {}})));
        result = writer.flush(&lost);
    }
    assert_int_equal(int(result), int(journal::Writer::Result::Busy));
    assert_false(writer.empty());  // the entry that did not fit is kept
    assert_int_equal(lost, 0);
    // Drain what arrived, then the kept entry goes out, in order.
    char buf[8192];
    int received = 0;
    while (recv(server, buf, sizeof buf, MSG_DONTWAIT) > 0) ++received;
    assert_int_equal(received, sent - 1);
    assert_int_equal(int(writer.flush(&lost)), int(journal::Writer::Result::Done));
    ssize_t n = recv(server, buf, sizeof buf - 1, MSG_DONTWAIT);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, ("MESSAGE=line " + std::to_string(sent - 1) + "\n").c_str()));
    close(server);
    unlink(path.c_str());
    rmdir(dir);
}

int main() {
    return run_test_group({cmocka_unit_test(entry_fields), cmocka_unit_test(message_ids),
                           cmocka_unit_test(entry_newline_value),
                           cmocka_unit_test(full_socket_never_blocks)});
}
