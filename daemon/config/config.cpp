// SPDX-License-Identifier: BSD-2-Clause
// Builds a Config from the raw sections config_reader.cpp read: values are
// applied through the key table once the type of each instance is known,
// defaults filled in, quotes loaded, and the whole checked (listener
// conflicts, no instance at all).

#include "config.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <deque>
#include <map>

#include "config_reader.h"
#include "config_table.h"
#include "parse.h"
#include "service_registry.h"

namespace smalld {

const InstanceConfig* Config::find(std::string_view name) const {
    for (const auto& instance : instances)
        if (instance.name == name) return &instance;
    return nullptr;
}

std::string Setting::origin() const {
    return file.empty() ? "default" : file + ":" + std::to_string(line);
}

ConfigError SectionPlace::at(std::string_view key, std::string message) const {
    for (const auto& entry : section.entries)
        if (entry.key == key) return {*entry.file, entry.line, std::move(message)};
    return {*section.file, section.line, std::move(message)};
}

std::string ConfigError::to_string() const {
    if (line > 0) return file + ":" + std::to_string(line) + ": " + message;
    return file + ": " + message;
}

namespace {

bool is_fixed_section(std::string_view name) {
    return name == "daemon" || name == "control" || name == "metrics";
}

class Builder {
  public:
    Builder(const std::string& path, std::vector<ConfigError>& errors)
        : path_(path), errors_(errors) {
        config_.path = path;
        for (const auto& key : config_keys())
            if (key.scope != Scope::Instance) apply_default(key, nullptr, to_string(key.scope));
    }

    void add(const RawSection& section) {
        file_ = section.file;
        if (section.name == "daemon")
            global(section, Scope::Daemon);
        else if (section.name == "control")
            global(section, Scope::Control);
        else if (section.name == "metrics")
            global(section, Scope::Metrics);
        else
            instance(section);
    }

    Config finish() {
        check_listener_conflicts();
        return std::move(config_);
    }

  private:
    // An error in the section being built, at its header or a line of the
    // file the section starts in.
    void error(int line, std::string message) {
        errors_.push_back({file_ ? *file_ : path_, line, std::move(message)});
    }
    void error_at(const RawEntry& entry, std::string message) {
        errors_.push_back({*entry.file, entry.line, std::move(message)});
    }

    void apply_default(const KeySpec& key, InstanceConfig* instance, const std::string& section) {
        const char* value = instance ? key_default(key, instance->type) : key.default_value;
        if (!value) return;
        std::string message;
        if (!key.apply(config_, instance, value, &message))
            error(0, std::string("internal error: default of ") + key.name + ": " + message);
        config_.settings[section][key.name] = {value, "", 0};
    }

    // Applies entries in order, reporting unknown and duplicate keys.
    void apply(const RawSection& section, Scope scope, InstanceConfig* instance,
               bool type_known = true) {
        // A key twice in one file is an error; a later file setting it again
        // replaced it when the files were merged.
        std::map<std::pair<std::string, const std::string*>, int> seen;
        for (const auto& entry : section.entries) {
            auto [it, inserted] = seen.emplace(std::pair(entry.key, entry.file), entry.line);
            if (!inserted) {
                error_at(entry, "duplicate key \"" + entry.key + "\" in [" + section.name +
                                    "], first at line " + std::to_string(it->second));
                continue;
            }
            const KeySpec* key = find_key(scope, entry.key);
            if (!key) {
                error_at(entry, "unknown key \"" + entry.key + "\" in [" + section.name + "]");
                continue;
            }
            if (instance && type_known && !key->applies_to(instance->type)) {
                error_at(entry, "\"" + entry.key + "\" does not apply to " +
                                    to_string(instance->type) + " instances like [" + section.name +
                                    "]");
                continue;
            }
            std::string message;
            if (!key->apply(config_, instance, trim(entry.value), &message)) {
                error_at(entry, entry.key + ": " + message);
                continue;
            }
            Setting setting{std::string(trim(entry.value)), *entry.file, entry.line, {}};
            if (key->names_file && !setting.value.empty())
                setting.fingerprint = fingerprint_file(setting.value);
            config_.settings[section.name][entry.key] = std::move(setting);
        }
    }

    void global(const RawSection& section, Scope scope) { apply(section, scope, nullptr); }

    void instance(const RawSection& section) {
        InstanceConfig instance;
        instance.name = section.name;
        instance_files_[section.name] = section.file;
        instance.config_line = section.line;
        std::string type_name = section.name;
        const RawEntry* type_entry = nullptr;
        bool has_tcp = false, has_udp = false;
        for (const auto& entry : section.entries) {
            if (entry.key == "type") {
                type_name = trim(entry.value);
                type_entry = &entry;
            }
            has_tcp |= entry.key == "tcp";
            has_udp |= entry.key == "udp";
        }
        auto type = service_type_from(type_name);
        if (!type) {
            if (!type_entry)
                error(section.line, "unknown section [" + section.name +
                                        "]: not daemon, control or metrics, and not a service "
                                        "type; an instance of another name needs type = ...");
            else {
                error_at(*type_entry,
                         "type: expected " + service_type_names() + ", got \"" + type_name + "\"");
                // Every error is reported, not just the first: check the rest of
                // the section too, though which type-specific keys apply is unknown.
                apply(section, Scope::Instance, &instance, /*type_known=*/false);
            }
            return;
        }
        instance.type = *type;
        const ServiceSpec& spec = service_spec(instance.type);
        if (spec.settings) instance.own = spec.settings();
        for (const auto& key : config_keys())
            if (key.scope == Scope::Instance && key.applies_to(instance.type))
                apply_default(key, &instance, section.name);
        auto& settings = config_.settings[section.name];
        settings["type"] = {to_string(instance.type), "", 0};
        apply(section, Scope::Instance, &instance);
        if (!has_tcp && !has_udp) {
            default_listeners(instance);
            settings["tcp"] = {join(instance.tcp), "", 0};
            settings["udp"] = {join(instance.udp), "", 0};
        } else {
            // A section that names one protocol serves nothing on the other.
            settings.try_emplace("tcp", Setting{"", "", 0});
            settings.try_emplace("udp", Setting{"", "", 0});
        }
        if (spec.check)
            if (std::string problem = spec.check(instance); !problem.empty())
                error(section.line, "[" + section.name + "]: " + problem);
        if (!instance.enabled) return;  // switched off, perhaps by a drop-in
        if (spec.load) spec.load(instance, SectionPlace{section}, errors_);
        config_.instances.push_back(std::move(instance));
    }

    static std::string join(const std::vector<SockAddr>& addrs) {
        std::string out;
        for (const auto& addr : addrs) out += (out.empty() ? "" : ", ") + addr.to_string();
        return out;
    }

    // Listeners that could not both be bound: the same address twice, or an
    // address beside the wildcard of its family on the same port. Found here,
    // `smalld -t` reports them instead of the start failing at bind.
    void check_listener_conflicts() {
        struct Bound {
            const std::string* instance;
            const SockAddr* addr;
        };
        std::vector<Bound> bound[2];  // tcp, udp
        for (const auto& instance : config_.instances) {
            for (const auto* list : {&instance.tcp, &instance.udp}) {
                bool tcp = list == &instance.tcp;
                for (const auto& addr : *list) {
                    if (addr.port() == 0) continue;
                    for (const Bound& other : bound[tcp ? 0 : 1]) {
                        if (!addr.overlaps(*other.addr)) continue;
                        file_ = instance_files_[instance.name];
                        std::string what = std::string(tcp ? "tcp " : "udp ") + addr.to_string();
                        error(instance.config_line,
                              what + " of [" + instance.name + "] " +
                                  (addr == *other.addr
                                       ? "is also used by ["
                                       : "overlaps " + other.addr->to_string() + " of [") +
                                  *other.instance + "]");
                        break;
                    }
                    bound[tcp ? 0 : 1].push_back({&instance.name, &addr});
                }
            }
        }
    }

    const std::string& path_;
    std::vector<ConfigError>& errors_;
    Config config_;
    const std::string* file_ = nullptr;                         // of the section being built
    std::map<std::string, const std::string*> instance_files_;  // instance -> its file
};

}  // namespace

ConfigResult parse_config(const std::string& text, const std::string& path) {
    return parse_config_files({{path, text}});
}

ConfigResult parse_config_files(const std::vector<ConfigText>& files) {
    ConfigResult result;
    if (files.empty()) return result;
    const std::string& path = files.front().path;
    RawSections raw = read_config_files(files, result.errors);
    const std::deque<RawSection>& merged = raw.sections;
    size_t headers = raw.headers, good_headers = raw.good_headers;

    Builder builder(path, result.errors);
    bool has_instance = false;
    for (const auto& section : merged) {
        builder.add(section);
        has_instance |= !is_fixed_section(section.name);
    }
    Config config = builder.finish();
    // An empty file, a file cut short before its first service, every
    // instance switched off: serving nothing is never what was meant.
    if (!has_instance && headers == good_headers)
        result.errors.push_back({path, 0,
                                 "no instance: smalld serves only the service sections of the "
                                 "file, such as [echo], and there is none"});
    else if (has_instance && config.instances.empty() && result.errors.empty())
        result.errors.push_back(
            {path, 0, "no instance: every instance is switched off with enabled = no"});
    if (result.errors.empty()) result.config = std::move(config);
    // In the order the files were read, then by line.
    // A file outside the configuration (a quotes file) goes with the main one.
    auto rank = [&](const std::string& file) {
        for (size_t n = 1; n < files.size(); ++n)
            if (files[n].path == file) return n;
        return size_t(0);
    };
    std::stable_sort(result.errors.begin(), result.errors.end(),
                     [&](const ConfigError& a, const ConfigError& b) {
                         if (a.file != b.file) {
                             size_t ra = rank(a.file), rb = rank(b.file);
                             return ra != rb ? ra < rb : a.file < b.file;
                         }
                         return a.line < b.line;
                     });
    return result;
}

}  // namespace smalld
