// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The configuration keys as a table: where a key lives, its default, what it
// means, and how its value is applied. The parser, the defaults, the shipped
// etc/smalld.ini and man/smalld.ini.5 all follow this one table (a test checks
// the last two against it). The keys of every section are here; a service
// type's own keys are in its service_NAME.cpp, listed in its registry row.

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config.h"

namespace smalld {

enum class Scope { Daemon, Control, Metrics, Instance };
const char* to_string(Scope scope);  // the section name; "instance" for instances

struct KeySpec {
    Scope scope;
    const char* name;
    // The default as written in the INI file; nullptr when the default depends
    // on the instance (type, tcp, udp).
    const char* default_value;
    const char* help;
    // Instance keys only for some types: a bit per ServiceType; 0 = every type.
    // A type's own keys leave it 0: config_keys() sets it from the registry.
    unsigned types;
    bool (*apply)(Config& config, InstanceConfig* instance, std::string_view value,
                  std::string* error);
    // The value is a file whose content the key loads: the file is
    // fingerprinted when the configuration is read, and a reload reports it
    // changed when its content did (config_diff.h).
    bool names_file = false;
    // A reload records the key but cannot apply it to the running daemon; its
    // change is reported as taking effect at the next restart. The control
    // socket and the metrics listener are not rebuilt under a reload (it may
    // have come through the control socket), and `user` is dropped to once, at
    // start. Keys read at each connection or request ([metrics] allow, ...) are not.
    bool restart_only = false;

    bool applies_to(ServiceType type) const {
        return types == 0 || (types & (1u << static_cast<unsigned>(type)));
    }
};

// Assigns a parsed value; false (the parser set the error) when it did not parse.
template <typename T, typename U>
bool assign(T& field, const std::optional<U>& parsed) {
    if (!parsed) return false;
    field = static_cast<T>(*parsed);
    return true;
}

// The keys of every section, then those of the service types in the
// registry's order.
std::span<const KeySpec> config_keys();
const KeySpec* find_key(Scope scope, std::string_view name);

}  // namespace smalld
