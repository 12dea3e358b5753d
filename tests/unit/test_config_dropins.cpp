// SPDX-License-Identifier: BSD-2-Clause
// Drop-ins: FILE.d/*.ini read after FILE in lexical order; a later file's
// value wins; a duplicate within one file is still an error; errors name
// their own file and line; enabled = no switches an instance off; only
// regular *.ini files not starting with a dot are read.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "config.h"

#include "../cmocka.hpp"

using namespace smalld;

namespace {

struct Dir {
    std::string path;
    Dir() {
        char tmpl[] = "/tmp/smalld-dropins-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~Dir() { std::system(("rm -rf '" + path + "'").c_str()); }
    std::string main() const { return path + "/s.ini"; }
    std::string d() const { return path + "/s.ini.d"; }
    void write(const std::string& name, const std::string& text) const {
        std::ofstream(path + "/" + name) << text;
    }
    // The main file `text`, and an empty FILE.d beside it.
    void write_main_and_dropin_dir(const std::string& text) const {
        write("s.ini", text);
        mkdir(d().c_str(), 0755);
    }
    // The configuration, as the daemon reads it; its errors shown on stderr.
    ConfigResult load() const {
        ConfigResult r = load_config(main());
        for (const auto& e : r.errors) print_error("%s\n", e.to_string().c_str());
        return r;
    }
};

const Setting& setting(const Config& c, const std::string& section, const std::string& key) {
    return c.settings.at(section).at(key);
}

}  // namespace

static void later_file_wins_in_lexical_order(void**) {
    Dir dir;
    dir.write_main_and_dropin_dir("[echo]\ntcp = 127.0.0.1:0\nrate = 50/s\n");
    dir.write("s.ini.d/20-b.ini", "[echo]\nrate = 7/s\n");
    dir.write("s.ini.d/10-a.ini", "[echo]\nrate = 5/s\nallow = 10.0.0.0/8\n");
    dir.write("s.ini.d/.30-hidden.ini", "[echo]\nrate = 1/s\n");
    dir.write("s.ini.d/40-notes.txt", "not ini at all\n");
    auto r = dir.load();
    assert_true(r.ok());
    const InstanceConfig* echo = r.config->find("echo");
    assert_non_null(echo);
    assert_true(echo->rate.per_second == 7);
    assert_int_equal(echo->allow.size(), 1);
    assert_string_equal(setting(*r.config, "echo", "rate").origin().c_str(),
                        (dir.d() + "/20-b.ini:2").c_str());
    assert_string_equal(setting(*r.config, "echo", "allow").origin().c_str(),
                        (dir.d() + "/10-a.ini:3").c_str());
    assert_string_equal(setting(*r.config, "echo", "tcp").origin().c_str(),
                        (dir.main() + ":2").c_str());
    assert_string_equal(setting(*r.config, "echo", "deny").origin().c_str(), "default");
}

static void add_and_switch_off_instances(void**) {
    Dir dir;
    dir.write_main_and_dropin_dir("[echo]\ntcp = 127.0.0.1:0\n[time]\ntcp = 127.0.0.1:0\n");
    dir.write("s.ini.d/a.ini", "[time]\nenabled = no\n[lab]\ntype = daytime\ntcp = 127.0.0.1:0\n");
    auto r = dir.load();
    assert_true(r.ok());
    assert_null(r.config->find("time"));
    assert_non_null(r.config->find("lab"));
    assert_non_null(r.config->find("echo"));
    // Every instance off: an error, not a daemon serving nothing.
    dir.write("s.ini.d/b.ini", "[echo]\nenabled = no\n[lab]\nenabled = no\n");
    r = dir.load();
    assert_false(r.ok());
    assert_non_null(strstr(r.errors[0].message.c_str(), "every instance is switched off"));
}

static void errors_keep_their_file_and_line(void**) {
    Dir dir;
    dir.write_main_and_dropin_dir("[echo]\ntcp = 127.0.0.1:0\nrate = 50/s\n");
    // A key set again in a later file is fine; twice in one file is not.
    dir.write("s.ini.d/a.ini", "[echo]\nrate = 5/s\n\nrate = 6/s\n[echo]\n");
    dir.write("s.ini.d/b.ini", "[echo]\nbogus = 1\n");
    auto r = dir.load();
    assert_false(r.ok());
    assert_int_equal(r.errors.size(), 3);
    assert_string_equal(r.errors[0].file.c_str(), (dir.d() + "/a.ini").c_str());
    assert_int_equal(r.errors[0].line, 4);
    assert_non_null(strstr(r.errors[0].message.c_str(), "duplicate key \"rate\""));
    assert_string_equal(r.errors[1].file.c_str(), (dir.d() + "/a.ini").c_str());
    assert_int_equal(r.errors[1].line, 5);
    assert_non_null(strstr(r.errors[1].message.c_str(), "duplicate section [echo]"));
    assert_string_equal(r.errors[2].file.c_str(), (dir.d() + "/b.ini").c_str());
    assert_int_equal(r.errors[2].line, 2);
}

static void only_regular_files(void**) {
    Dir dir;
    dir.write_main_and_dropin_dir("[echo]\ntcp = 127.0.0.1:0\n");
    assert_int_equal(mkfifo((dir.d() + "/fifo.ini").c_str(), 0644), 0);
    mkdir((dir.d() + "/sub.ini").c_str(), 0755);
    auto r = dir.load();
    assert_false(r.ok());
    assert_int_equal(r.errors.size(), 2);
    assert_string_equal(r.errors[0].file.c_str(), (dir.d() + "/fifo.ini").c_str());
    assert_non_null(strstr(r.errors[0].message.c_str(), "not a regular file"));
    assert_string_equal(r.errors[1].file.c_str(), (dir.d() + "/sub.ini").c_str());
    // FILE.d that is not a directory.
    Dir other;
    other.write("s.ini", "[echo]\ntcp = 127.0.0.1:0\n");
    other.write("s.ini.d", "a file\n");
    r = other.load();
    assert_false(r.ok());
    assert_string_equal(r.errors[0].file.c_str(), other.d().c_str());
    // No directory at all: fine.
    Dir plain;
    plain.write("s.ini", "[echo]\ntcp = 127.0.0.1:0\n");
    assert_true(plain.load().ok());
}

int main() {
    return run_test_group({cmocka_unit_test(later_file_wins_in_lexical_order),
                           cmocka_unit_test(add_and_switch_off_instances),
                           cmocka_unit_test(errors_keep_their_file_and_line),
                           cmocka_unit_test(only_regular_files)});
}
