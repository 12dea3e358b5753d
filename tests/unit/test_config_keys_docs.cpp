// The key table, the shipped etc/smalld.ini and man/smalld.ini.5 cannot drift
// apart: every key of the table is documented in the manual and present, with
// its default, in the shipped file.
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "config.h"
#include "config_table.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;

static std::string source_file(const char* relative) {
    const char* dir = getenv("SMALLD_SOURCE_DIR");
    std::ifstream in(std::string(dir ? dir : ".") + "/" + relative);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

static void every_key_in_the_manual(void**) {
    std::string man = source_file("man/smalld.ini.5");
    assert_true(man.size() > 1000);
    for (const auto& key : config_keys()) {
        // mdoc: each key is an item of a list, ".It Cm name" or ".It Ic name".
        std::regex item("\\n\\.It (Cm|Ic|Li|Va) " + std::string(key.name) + "\\b");
        if (!std::regex_search(man, item))
            fail_msg("man/smalld.ini.5 does not document %s", key.name);
    }
}

static void every_key_in_the_shipped_file(void**) {
    std::string ini = source_file("etc/smalld.ini");
    auto parsed = parse_config(ini, "etc/smalld.ini");
    for (const auto& e : parsed.errors) print_error("%s\n", e.to_string().c_str());
    assert_true(parsed.ok());
    for (const auto& key : config_keys()) {
        // Present, commented out or not: "key = value" at the start of a line.
        std::regex line("(^|\\n);? *" + std::string(key.name) + " *=");
        if (!std::regex_search(ini, line)) fail_msg("etc/smalld.ini lacks %s", key.name);
    }
    // The shipped file enables all seven services.
    for (const char* name : {"echo", "discard", "chargen", "qotd", "daytime", "time", "status"})
        assert_non_null(parsed.config->find(name));
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_key_in_the_manual),
        cmocka_unit_test(every_key_in_the_shipped_file),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
