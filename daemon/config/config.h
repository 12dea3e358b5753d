// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The configuration as a value. Parsing builds a new Config from an INI file;
// the daemon swaps it in only when it is valid.

#include <sys/types.h>

#include <any>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "address.h"
#include "file_fingerprint.h"
#include "log.h"
#include "service_types.h"

namespace smalld {

using Duration = std::chrono::milliseconds;

enum class ServiceType {
#define SMALLD_SERVICE_ENUMERATOR(Type, name) Type,
    SMALLD_SERVICE_TYPES(SMALLD_SERVICE_ENUMERATOR)
#undef SMALLD_SERVICE_ENUMERATOR
};

const char* to_string(ServiceType type);
std::optional<ServiceType> service_type_from(std::string_view name);
// The port the RFC assigns (status: 9007).
uint16_t standard_port(ServiceType type);

struct Rate {
    double per_second = 50;  // 0 = unlimited
    double burst = 50;       // bucket size
    bool operator==(const Rate&) const = default;
};

// The field initialisers below are the key table's defaults
// (config_table.cpp), for a Config made without the parser (tests);
// test_config_keys_docs fails when one differs. An address list (allow,
// details) has none: its default is the table's alone.
struct DaemonConfig {
    LogLevel log_level = LogLevel::Info;
    bool log_connections = true;
    unsigned max_connections = 4096;
    std::string user;
    Duration shutdown_timeout{5000};
    // Per-session output queue high-water mark: past it, a session stops
    // reading from a peer that does not read its replies.
    size_t output_buffer = 64 * 1024;
    bool operator==(const DaemonConfig&) const = default;
};

struct ControlConfig {
    std::string socket;  // defaults to the build setting
    mode_t mode = 0660;
    std::string group;
    bool operator==(const ControlConfig&) const = default;
};

struct MetricsConfig {
    std::optional<SockAddr> listen;
    // Who sees file paths, reload errors and peer addresses on the page,
    // /stats.json and /events (privacy.h); empty = nobody.
    std::vector<Cidr> details;
    // Who may connect at all (acl_allows, as an instance's allow); empty = nobody.
    std::vector<Cidr> allow;
    bool page = true;           // no: /, its assets, /stats.json and /events answer 404
    bool page_sessions = true;  // no: no session table on the page, /stats.json or /events
    bool operator==(const MetricsConfig&) const = default;
};

struct InstanceConfig {
    std::string name;
    ServiceType type = ServiceType::Echo;
    bool enabled = true;  // enabled = no: the section is read, checked, and not served
    std::vector<SockAddr> tcp;
    std::vector<SockAddr> udp;
    std::vector<Cidr> allow;
    std::vector<Cidr> deny;
    unsigned max_connections = 1024;
    unsigned per_source = 16;
    Rate rate;
    Duration idle_timeout{60'000};
    Duration max_duration{3'600'000};
    double udp_amplification = 1.0;
    bool udp_loop_guard = true;
    int backlog = 511;
    // The type's own settings: a struct of its service_NAME.cpp, made by its
    // registry row and filled by its keys. Read them with own_settings<T>().
    std::any own;
    int config_line = 0;  // line of the section header, for messages
};

// The type's own settings of an instance, T being its type's settings struct
// (services.h). Made on first use when the instance has none yet (a test, or
// a section whose type is unknown, whose keys are still checked).
template <typename T>
T& own_settings(InstanceConfig& instance) {
    if (T* settings = std::any_cast<T>(&instance.own)) return *settings;
    return instance.own.emplace<T>();
}
// Without settings of that type: the struct's defaults.
template <typename T>
const T& own_settings(const InstanceConfig& instance) {
    static const T defaults{};
    const T* settings = std::any_cast<T>(&instance.own);
    return settings ? *settings : defaults;
}

// One key's effective value, as written in the file (trimmed) or as its
// default, and where it came from. Reload diffs these; -T prints them.
struct Setting {
    std::string value;
    std::string file;  // empty = the default
    int line = 0;
    // A key that names a file (KeySpec::names_file): what the file held.
    std::optional<FileFingerprint> fingerprint = std::nullopt;
    // "FILE:LINE" or "default".
    std::string origin() const;
};

struct Config {
    std::string path;
    DaemonConfig daemon;
    ControlConfig control;
    MetricsConfig metrics;
    std::vector<InstanceConfig> instances;
    // Section name ("daemon", "control", "metrics", an instance) -> key -> its
    // effective setting: every key of the table that applies, defaults included.
    std::map<std::string, std::map<std::string, Setting>> settings;

    const InstanceConfig* find(std::string_view name) const;
};

struct ConfigError {
    std::string file;
    int line = 0;  // 0 = the file as a whole
    std::string message;
    // "FILE:LINE: message"
    std::string to_string() const;
};

struct ConfigResult {
    std::optional<Config> config;
    std::vector<ConfigError> errors;
    bool ok() const { return config.has_value(); }
};

// Parses and validates a configuration file and its drop-ins: PATH, then
// PATH.d/*.ini in lexical order (config_dropins.cpp). Every error is reported.
ConfigResult load_config(const std::string& path);

struct ConfigText {
    std::string path;
    std::string text;
};
// The main file first, then the drop-ins: merged, a later file's value of a
// key winning over an earlier file's.
ConfigResult parse_config_files(const std::vector<ConfigText>& files);
// The drop-in directory of a configuration file: PATH.d
std::string dropin_dir(const std::string& path);
// Same, from text already in memory (tests, fuzzers). `path` names it in errors.
ConfigResult parse_config(const std::string& text, const std::string& path);

// The longest line of a configuration file, without its line ending
// (smalld.ini(5)); a longer line is an error at its line.
static constexpr size_t kMaxConfigLine = 8192;

// The longest quote qotd accepts (RFC 865: 512 characters).
static constexpr size_t kMaxQuoteLength = 512;

}  // namespace smalld
