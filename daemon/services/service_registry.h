// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The catalogue of service types. Each type describes itself in its
// service_NAME.cpp with one ServiceSpec, kTypeSpec: its standard port,
// protocols (a type may be UDP only), default listeners, reply floor, factory,
// own settings and keys, and the checks across them. The catalogue pairs each
// row of service_types.h with its spec; the config parser and key table, the
// default listeners, the amplification cap and make_service() read it, and a
// docs test checks the man pages against it. A new type is one
// service_NAME.cpp and one row in service_types.h, plus the man pages.

#include <any>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "config_reader.h"
#include "config_table.h"
#include "service.h"

namespace smalld {

// Where an instance's section was written, for the messages of a type's load().
struct SectionPlace {
    const RawSection& section;
    // An error at the line where `key` was set, or at the section's header
    // when it was not.
    ConfigError at(std::string_view key, std::string message) const;
};

// A common key (config_table.cpp) whose default differs for this type.
struct KeyDefault {
    const char* key;
    const char* value;
};

struct ServiceSpec {
    // What the type is, for people: its socket unit's Description=
    // ("smalld TITLE sockets"), generated with the unit (unit_generator.cpp).
    const char* title;
    uint16_t standard_port;
    // Which protocols the type serves: both, unless its row says otherwise
    // (a type may be UDP only, or listen on nothing).
    bool tcp = true;
    bool udp = true;
    bool loopback_default = false;  // without tcp/udp keys: listen on loopback only
    // The floor of the UDP amplification cap: max(request x factor, floor).
    size_t udp_reply_floor = 32;
    // What the type reads of each datagram besides its payload, its source
    // and destination address (datagram_control.h: kMetadataReceiveTime,
    // kMetadataTtl, kMetadataTos): a UDP endpoint asks the kernel for that
    // alone. Without kMetadataReceiveTime, Datagram::received is the
    // batch's clock reading.
    unsigned datagram_metadata = 0;
    std::unique_ptr<Service> (*make)(const InstanceConfig& config, StatusRenderer& status);
    // The type's own settings, default-constructed (InstanceConfig::own);
    // nullptr when it has none. own_settings_of<T> makes one.
    std::any (*settings)() = nullptr;
    // The type's own configuration keys (config_table.h); config_keys()
    // appends them to the common ones and makes them apply to this type.
    std::span<const KeySpec* const> keys = {};
    // The common keys whose default is the type's own (stamp's rate).
    std::span<const KeyDefault> defaults = {};
    // Checks across the type's keys; an error message, or "" when fine.
    // Run on every instance, enabled or not. nullptr: nothing to check.
    std::string (*check)(const InstanceConfig& config) = nullptr;
    // Reads what the keys name (qotd's quotes file) into the settings of an
    // enabled instance, appending an error for each problem. nullptr: nothing.
    void (*load)(InstanceConfig& config, const SectionPlace& place,
                 std::vector<ConfigError>& errors) = nullptr;
};

template <typename T>
std::any own_settings_of() {
    return T{};
}

// One row of the catalogue.
struct ServiceEntry {
    ServiceType type;
    const char* name;
    const ServiceSpec& spec;
};

std::span<const ServiceEntry> service_catalogue();
const ServiceSpec& service_spec(ServiceType type);
// The default of an instance key for this type: the type's own where its
// spec has one, else the table's (nullptr when it depends on the instance).
const char* key_default(const KeySpec& key, ServiceType type);
// An instance that sets neither tcp nor udp: its type's standard port, over
// the protocols it serves, on 0.0.0.0 and [::] (loopback_default: 127.0.0.1
// and [::1]). Also the addresses of the type's generated socket unit.
void default_listeners(InstanceConfig& instance);
// "echo, discard, ... or stamp"
std::string service_type_names();

}  // namespace smalld
