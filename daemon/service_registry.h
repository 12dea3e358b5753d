#pragma once
// The catalogue of service types: one row per type, with its name, standard
// port, protocols (a type may be UDP only), default listeners, reply floor,
// factory, cross-key check and own configuration keys. The config parser and
// key table, the default listeners, the amplification cap and make_service()
// read it, so a new type is one service_NAME.cpp and one row here (plus its
// enum value in config.h, its settings in InstanceConfig, and the man pages,
// which a docs test checks against this table).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "config.h"
#include "config_table.h"
#include "service.h"

namespace smalld {

struct ServiceSpec {
    ServiceType type;
    const char* name;
    uint16_t standard_port;
    bool tcp;  // which protocols the type serves; a type may be UDP only
    bool udp;
    bool loopback_default;  // without tcp/udp keys: listen on loopback only
    // The floor of the UDP amplification cap: max(request x factor, floor).
    size_t udp_reply_floor;
    std::unique_ptr<Service> (*make)(const InstanceConfig& config, StatusRenderer& status);
    // Checks across the type's keys; returns an error message, or "" when fine.
    std::string (*check)(const InstanceConfig& config);
    // The type's own configuration keys (config_table.h), defined in its
    // service_NAME.cpp; config_keys() appends them to the common ones.
    std::span<const KeySpec* const> (*keys)();
};

std::span<const ServiceSpec> service_specs();
const ServiceSpec& service_spec(ServiceType type);
// "echo, discard, ... or stamp"
std::string service_type_names();

}  // namespace smalld
