// SPDX-License-Identifier: BSD-2-Clause
// A reload reports a file the configuration names (a STAMP key_file, a qotd
// quotes file) as changed when its content changed though its path did not,
// and as unchanged when it was rewritten with the same bytes, touched, or
// replaced by a file of the same content. The report names the path and
// nothing of the content.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "harness.h"

#include "../cmocka.hpp"

using namespace harness;
using Ctl = harness::ControlClient;
using json = nlohmann::json;

namespace {

constexpr const char* kKeyA = "first-key-bytes-AAAA";
constexpr const char* kKeyB = "second-key-bytes-BBB";

const char* kHead =
    "[daemon]\nlog_connections = no\n[control]\nsocket = @DIR@/control.sock\n"
    "[echo]\ntcp = 127.0.0.1:0\n";

// Writes `text` to `path` in place (same inode), mode 0600.
void rewrite(const std::string& path, const std::string& text) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text.data(), text.size()), ssize_t(text.size()));
    fchmod(fd, 0600);
    close(fd);
}

// Replaces `path` by a new file (another inode) holding `text`, by rename.
void replace(const std::string& path, const std::string& text) {
    rewrite(path + ".new", text);
    assert_int_equal(rename((path + ".new").c_str(), path.c_str()), 0);
}

// Moves the file's modification time without changing its bytes.
void touch(const std::string& path) {
    timespec times[2] = {{0, UTIME_NOW}, {1, 0}};  // an mtime no write gives it
    assert_int_equal(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

// The files, in the daemon's directory, and the instances that name them,
// added by a first reload.
struct Files {
    std::string key, quotes;
    explicit Files(const TestDaemon& d)
        : key(d.dir() + "/stamp.key"), quotes(d.dir() + "/quotes.txt") {
        rewrite(key, kKeyA);
        rewrite(quotes, "first quote\n%\nsecond quote\n");
        d.write_config(std::string(kHead) +
                       "[stamp]\nudp = 127.0.0.1:0\nauth = required\nkey_file = " + key +
                       "\n[qotd]\ntcp = 127.0.0.1:0\nquotes = " + quotes + "\n");
        json reply = Ctl(d.control_socket()).request("reload");
        if (reply["ok"] != true) fail_msg("reload failed: %s", reply.dump().c_str());
    }
};

// The changes a reload reports over the control socket.
json reload(const TestDaemon& d) {
    json reply = Ctl(d.control_socket()).request("reload");
    if (reply["ok"] != true) fail_msg("reload failed: %s", reply.dump().c_str());
    return reply["data"]["changes"];
}

bool names(const json& changes, const std::string& line) {
    for (const auto& c : changes)
        if (c == line) return true;
    print_error("missing \"%s\" in %s\n", line.c_str(), changes.dump().c_str());
    return false;
}

}  // namespace

// The case: the key rewritten in place is in force and reported;
// the same key written again is not a change.
static void key_file_rewritten_is_reported(void**) {
    TestDaemon d(kHead);
    assert_true(d.started());
    Files files(d);
    size_t mark = d.log_size();
    rewrite(files.key, kKeyB);
    json changes = reload(d);
    assert_true(names(changes, "[stamp] key_file: " + files.key + " changed"));
    assert_int_equal(changes.size(), 1);
    // Nothing of the key, in the reply or the log.
    assert_true(d.wait_for_log("reload done: 1 change", kPatienceMs, mark));
    for (const std::string& text : {changes.dump(), d.log()})
        if (text.find(kKeyA) != std::string::npos || text.find(kKeyB) != std::string::npos)
            fail_msg("the report shows the key:\n%s", text.c_str());
    rewrite(files.key, kKeyB);
    assert_true(reload(d).empty());
}

static void quotes_rewritten_is_reported(void**) {
    TestDaemon d(kHead);
    assert_true(d.started());
    Files files(d);
    rewrite(files.quotes, "first quote\n%\na new second quote\n");
    json changes = reload(d);
    assert_true(names(changes, "[qotd] quotes: " + files.quotes + " changed"));
    assert_int_equal(changes.size(), 1);
    assert_true(changes.dump().find("new second") == std::string::npos);
    rewrite(files.quotes, "first quote\n%\na new second quote\n");
    assert_true(reload(d).empty());
}

// Touched, or replaced by a new file with the same bytes: unchanged.
// Replaced by a new file with other bytes (an editor's or an installer's
// rename): changed.
static void touched_and_renamed_files(void**) {
    TestDaemon d(kHead);
    assert_true(d.started());
    Files files(d);
    touch(files.quotes);
    touch(files.key);
    assert_true(reload(d).empty());
    replace(files.key, kKeyA);
    replace(files.quotes, "first quote\n%\nsecond quote\n");
    assert_true(reload(d).empty());
    replace(files.key, kKeyB);
    json changes = reload(d);
    assert_true(names(changes, "[stamp] key_file: " + files.key + " changed"));
    assert_int_equal(changes.size(), 1);
    // The same size, other bytes, one tick: still a change.
    replace(files.quotes, "first quote\n%\nsecond QUOTE\n");
    changes = reload(d);
    assert_true(names(changes, "[qotd] quotes: " + files.quotes + " changed"));
    assert_int_equal(changes.size(), 1);
}

int main() {
    if (!protect::enter_private_network()) return 77;
    return run_test_group({cmocka_unit_test(key_file_rewritten_is_reported),
                           cmocka_unit_test(quotes_rewritten_is_reported),
                           cmocka_unit_test(touched_and_renamed_files)});
}
