// SPDX-License-Identifier: BSD-2-Clause
#include "config_dump.h"

#include "config_table.h"

namespace smalld {

namespace {

void dump_section(const Config& config, const std::string& section, Scope scope, std::string& out) {
    auto settings = config.settings.find(section);
    if (settings == config.settings.end()) return;
    out += "\n[" + section + "]\n";
    for (const auto& key : config_keys()) {
        if (key.scope != scope) continue;
        auto it = settings->second.find(key.name);
        if (it == settings->second.end()) continue;
        std::string line = std::string(key.name) + " =";
        if (!it->second.value.empty()) line += " " + it->second.value;
        if (line.size() < 40) line.resize(40, ' ');
        out += line + " ; " + it->second.origin() + "\n";
    }
}

}  // namespace

std::string dump_config(const Config& config) {
    std::string out = "; the effective configuration of " + config.path + " and " +
                      dropin_dir(config.path) + "/*.ini\n";
    for (Scope scope : {Scope::Daemon, Scope::Control, Scope::Metrics})
        dump_section(config, to_string(scope), scope, out);
    for (const auto& [section, settings] : config.settings)
        if (section != "daemon" && section != "control" && section != "metrics")
            dump_section(config, section, Scope::Instance, out);
    return out;
}

}  // namespace smalld
