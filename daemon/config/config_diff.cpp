// SPDX-License-Identifier: BSD-2-Clause
#include "config_diff.h"

#include "config_table.h"

namespace smalld {

namespace {

const Setting* find_setting(const Config& config, const std::string& section, const char* key) {
    auto s = config.settings.find(section);
    if (s == config.settings.end()) return nullptr;
    auto k = s->second.find(key);
    return k == s->second.end() ? nullptr : &k->second;
}

bool file_changed(const Setting& before, const Setting& after) {
    if (!before.fingerprint || !after.fingerprint) return before.fingerprint || after.fingerprint;
    return !before.fingerprint->same_content(*after.fingerprint);
}

std::string shown(const Setting* setting) {
    if (!setting) return "(does not apply)";
    if (setting->value.empty()) return "\"\"";
    return setting->value;
}

// The keys of one section, in the table's order.
void diff_section(const Config& before, const Config& after, const std::string& section,
                  Scope scope, std::vector<std::string>& out) {
    for (const auto& key : config_keys()) {
        if (key.scope != scope) continue;
        const Setting* old_setting = find_setting(before, section, key.name);
        const Setting* new_setting = find_setting(after, section, key.name);
        if (!old_setting && !new_setting) continue;
        if (old_setting && new_setting && old_setting->value == new_setting->value) {
            // The same file named, perhaps another content: its path, never
            // what it holds.
            if (file_changed(*old_setting, *new_setting))
                out.push_back("[" + section + "] " + key.name + ": " + new_setting->value +
                              " changed");
            continue;
        }
        std::string change = "[" + section + "] " + key.name + ": " + shown(old_setting) + " -> " +
                             shown(new_setting);
        if (key.restart_only) change += " (takes effect at the next restart)";
        out.push_back(std::move(change));
    }
}

}  // namespace

std::vector<std::string> diff_config(const Config& before, const Config& after) {
    std::vector<std::string> out;
    for (Scope scope : {Scope::Daemon, Scope::Control, Scope::Metrics})
        diff_section(before, after, to_string(scope), scope, out);
    for (const auto& old : before.instances)
        if (!after.find(old.name)) out.push_back("removed instance [" + old.name + "]");
    for (const auto& now : after.instances) {
        const InstanceConfig* old = before.find(now.name);
        if (!old)
            out.push_back("added instance [" + now.name + "] of type " + to_string(now.type));
        else
            diff_section(before, after, now.name, Scope::Instance, out);
    }
    return out;
}

}  // namespace smalld
