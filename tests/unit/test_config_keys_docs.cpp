// SPDX-License-Identifier: BSD-2-Clause
// The key table, the shipped etc/smalld.ini and man/smalld.ini.5 cannot drift
// apart: every key of the table is documented in the manual and present, with
// its default, in the shipped file, in a section where it belongs (max_connections
// is a [daemon] key and an instance key, with different defaults).
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "config.h"
#include "config_table.h"
#include "service_registry.h"
#include "services.h"

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

// One "key = value" line of the shipped file, commented out or not.
struct ShippedLine {
    std::string section, key, value;
    int line;
};

static std::vector<ShippedLine> shipped_lines(const std::string& ini) {
    std::vector<ShippedLine> lines;
    std::istringstream in(ini);
    std::string text, section;
    std::smatch m;
    static const std::regex header("^;?\\[([a-z0-9_-]+)\\]\\s*$");
    static const std::regex assignment("^;? *([a-z_]+) *= *(.*?) *$");
    for (int number = 1; std::getline(in, text); ++number) {
        if (std::regex_match(text, m, header))
            section = m[1];
        else if (std::regex_match(text, m, assignment))
            lines.push_back({section, m[1], m[2], number});
    }
    return lines;
}

static void every_key_in_the_shipped_file(void**) {
    std::string ini = source_file("etc/smalld.ini");
    auto parsed = parse_config(ini, "etc/smalld.ini");
    for (const auto& e : parsed.errors) print_error("%s\n", e.to_string().c_str());
    assert_true(parsed.ok());
    auto lines = shipped_lines(ini);
    // The section a key of this scope may appear in, and the type it must
    // then have (an instance key only counts under a type it applies to).
    auto in_scope = [&](const KeySpec& key, const std::string& section) {
        if (key.scope != Scope::Instance) return section == to_string(key.scope);
        const InstanceConfig* instance = parsed.config->find(section);
        if (!instance && section == "echo-lab") return key.applies_to(ServiceType::Echo);
        return instance && key.applies_to(instance->type);
    };
    for (const auto& key : config_keys()) {
        int found = 0;
        for (const auto& line : lines) {
            if (line.key != key.name || !in_scope(key, line.section)) continue;
            ++found;
            // The header promises: every key with its default value (the
            // type's own default in an instance of that type).
            const InstanceConfig* instance =
                key.scope == Scope::Instance ? parsed.config->find(line.section) : nullptr;
            const char* value = instance ? key_default(key, instance->type) : key.default_value;
            if (value && line.value != value)
                fail_msg("etc/smalld.ini:%d: [%s] %s = %s, but its default is \"%s\"", line.line,
                         line.section.c_str(), key.name, line.value.c_str(), value);
        }
        if (!found)
            fail_msg("etc/smalld.ini lacks %s in a [%s] section", key.name, to_string(key.scope));
    }
    // The shipped file enables all seven services.
    for (const char* name : {"echo", "discard", "chargen", "qotd", "daytime", "time", "status"})
        assert_non_null(parsed.config->find(name));
}

// A service type of the registry is documented like the others: among the
// services smalld(8) lists, among the values of `type` and with its standard
// port in smalld.ini(5), and as a section of the shipped file.
static void every_service_type_in_the_manuals(void**) {
    std::string daemon_man = source_file("man/smalld.8");
    std::string ini_man = source_file("man/smalld.ini.5");
    std::string shipped = source_file("etc/smalld.ini");
    std::smatch type_line;
    assert_true(
        std::regex_search(ini_man, type_line, std::regex("\\n\\.It Cm type No = ([^\\n]*)")));
    // The list of values is the catalogue's, no more, in its order; the
    // key's help is made from the catalogue and says the same.
    std::string catalogue;
    std::string values = std::regex_replace(type_line.str(1), std::regex("\\b(Cm|No) "), "");
    for (const auto& entry : service_catalogue())
        catalogue += (catalogue.empty() ? "" : " | ") + std::string(entry.name);
    assert_str_eq(values, catalogue);
    const KeySpec* type = find_key(Scope::Instance, "type");
    assert_non_null(type);
    assert_str_eq(std::string(type->help), catalogue + "; defaults to the section name");
    for (const auto& entry : service_catalogue()) {
        const ServiceSpec& spec = entry.spec;
        std::string name = entry.name;
        if (!std::regex_search(daemon_man, std::regex("\\n\\.It " + name + "\\n")))
            fail_msg("man/smalld.8 does not list the %s service (.It %s)", entry.name, entry.name);
        if (!std::regex_search(type_line.str(1), std::regex("\\b" + name + "\\b")))
            fail_msg("man/smalld.ini.5 does not list %s among the values of type", entry.name);
        // "echo 7" in the list of defaults; a loopback type by its address.
        std::string port = std::to_string(spec.standard_port);
        std::string pattern = spec.loopback_default ? "127\\.0\\.0\\.1:" + port + "\\b"
                                                    : "\\b" + name + " " + port + "\\b";
        if (!std::regex_search(ini_man, std::regex(pattern)))
            fail_msg("man/smalld.ini.5 does not give %s's standard port %u", entry.name,
                     unsigned(spec.standard_port));
        if (shipped.find("\n[" + name + "]\n") == std::string::npos)
            fail_msg("etc/smalld.ini has no [%s] section", entry.name);
        // Its socket unit, generated at build time (smalld-units), among those
        // the SYSTEMD section names; status is smalld.socket itself.
        bool listens = spec.standard_port != 0 && (spec.tcp || spec.udp);
        if (listens && name != "status" &&
            daemon_man.find("\n.Pa smalld-" + name + ".socket") == std::string::npos)
            fail_msg("man/smalld.8 does not name smalld-%s.socket", entry.name);
    }
}

// The manual says which keys take effect only at the next restart, exactly
// those the table marks restart_only (a reload reports them so): in the key's
// own item, in a sentence naming it, or for the whole section.
static void restart_only_keys_in_the_manual(void**) {
    std::string man = source_file("man/smalld.ini.5");
    for (const auto& key : config_keys()) {
        if (key.scope == Scope::Instance) {
            if (key.restart_only) fail_msg("instance key %s marked restart_only", key.name);
            continue;
        }
        std::string scope = to_string(key.scope);
        for (auto& c : scope) c = char(toupper(c));
        std::string title = "\n.Sh THE " + scope + " SECTION";
        size_t start = man.find(title);
        assert_true(start != std::string::npos);
        size_t end = man.find("\n.Sh ", start + 1);
        std::string section = man.substr(start, end - start);
        bool whole = section.find("Changes to this section take effect at the next restart") !=
                     std::string::npos;
        std::smatch item;
        std::regex item_re("\\n\\.It (Cm|Ic|Li|Va) " + std::string(key.name) +
                           "\\b[\\s\\S]*?(?=\\n\\.(It|El)\\b)");
        bool own = std::regex_search(section, item, item_re) &&
                   item.str(0).find("next restart") != std::string::npos;
        bool named = std::regex_search(
            section, std::regex("\\n\\.Cm " + std::string(key.name) + "\\n[^.\\n]*next restart"));
        bool documented = whole || own || named;
        if (documented != key.restart_only)
            fail_msg("[%s] %s: restart_only %d in the table, %d in man/smalld.ini.5",
                     to_string(key.scope), key.name, int(key.restart_only), int(documented));
    }
}

// The key table holds the defaults; the structs' field initialisers (what a
// test or a type's settings() makes without the parser) must say the same.
// A Config read from sections that set nothing has the table's defaults.
template <typename T>
static void own_defaults_agree(const Config& config, const char* section) {
    const InstanceConfig* instance = config.find(section);
    assert_non_null(instance);
    if (!(own_settings<T>(*instance) == T{}))
        fail_msg("[%s]: a field initialiser in services.h differs from its key's default", section);
}

static void initialisers_are_the_table_defaults(void**) {
    auto parsed = parse_config("[echo]\n[qotd]\n[daytime]\n[time]\n[status]\n[stamp]\n", "x");
    for (const auto& e : parsed.errors) print_error("%s\n", e.to_string().c_str());
    assert_true(parsed.ok());
    const Config& c = *parsed.config;
    if (!(c.daemon == DaemonConfig{}))
        fail_msg("a DaemonConfig initialiser (config.h) differs from its key's default");
    // The socket's default is the build setting; the rest is the table's.
    ControlConfig control;
    control.socket = c.control.socket;
    if (!(c.control == control))
        fail_msg("a ControlConfig initialiser (config.h) differs from its key's default");
    // Address lists have no initialiser (empty): their defaults are the table's only.
    MetricsConfig metrics;
    metrics.allow = c.metrics.allow, metrics.details = c.metrics.details;
    if (!(c.metrics == metrics))
        fail_msg("a MetricsConfig initialiser (config.h) differs from its key's default");
    // echo: no key default of its own; the listeners and name are the section's.
    const InstanceConfig& echo = *c.find("echo");
    InstanceConfig fresh;
    auto fields = [](const InstanceConfig& i) {
        return std::tie(i.type, i.enabled, i.deny, i.max_connections, i.per_source, i.rate,
                        i.idle_timeout, i.max_duration, i.udp_amplification, i.udp_loop_guard,
                        i.backlog);
    };
    if (fields(echo) != fields(fresh))
        fail_msg("an InstanceConfig initialiser (config.h) differs from its key's default");
    own_defaults_agree<QotdSettings>(c, "qotd");
    own_defaults_agree<DaytimeSettings>(c, "daytime");
    own_defaults_agree<TimeSettings>(c, "time");
    own_defaults_agree<StatusSettings>(c, "status");
    own_defaults_agree<StampSettings>(c, "stamp");
}

int main() {
    return run_test_group({cmocka_unit_test(every_key_in_the_manual),
                           cmocka_unit_test(every_key_in_the_shipped_file),
                           cmocka_unit_test(every_service_type_in_the_manuals),
                           cmocka_unit_test(restart_only_keys_in_the_manual),
                           cmocka_unit_test(initialisers_are_the_table_defaults)});
}
