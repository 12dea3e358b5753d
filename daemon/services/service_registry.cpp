// SPDX-License-Identifier: BSD-2-Clause
#include "service_registry.h"

namespace smalld {

#define SMALLD_SERVICE_SPEC(Type, name) extern const ServiceSpec k##Type##Spec;
SMALLD_SERVICE_TYPES(SMALLD_SERVICE_SPEC)
#undef SMALLD_SERVICE_SPEC

namespace {

const ServiceEntry kCatalogue[] = {
#define SMALLD_SERVICE_ENTRY(Type, name) {ServiceType::Type, #name, k##Type##Spec},
    SMALLD_SERVICE_TYPES(SMALLD_SERVICE_ENTRY)
#undef SMALLD_SERVICE_ENTRY
};

}  // namespace

std::span<const ServiceEntry> service_catalogue() {
    return kCatalogue;
}

// The rows are in the enum's order: both come from SMALLD_SERVICE_TYPES.
const ServiceSpec& service_spec(ServiceType type) {
    return kCatalogue[static_cast<size_t>(type)].spec;
}

const char* to_string(ServiceType type) {
    return kCatalogue[static_cast<size_t>(type)].name;
}

std::optional<ServiceType> service_type_from(std::string_view name) {
    for (const auto& entry : kCatalogue)
        if (name == entry.name) return entry.type;
    return std::nullopt;
}

uint16_t standard_port(ServiceType type) {
    return service_spec(type).standard_port;
}

const char* key_default(const KeySpec& key, ServiceType type) {
    if (key.scope == Scope::Instance)
        for (const KeyDefault& own : service_spec(type).defaults)
            if (std::string_view(own.key) == key.name) return own.value;
    return key.default_value;
}

void default_listeners(InstanceConfig& instance) {
    const ServiceSpec& spec = service_spec(instance.type);
    bool loopback = spec.loopback_default;
    std::string port = std::to_string(spec.standard_port);
    std::string ignored;
    for (const char* host : {loopback ? "127.0.0.1" : "0.0.0.0", loopback ? "[::1]" : "[::]"}) {
        auto addr = parse_endpoint(std::string(host) + ":" + port, &ignored);
        if (spec.tcp) instance.tcp.push_back(*addr);
        if (spec.udp) instance.udp.push_back(*addr);
    }
}

std::string service_type_names() {
    std::string names;
    size_t n = std::size(kCatalogue);
    for (size_t i = 0; i < n; ++i) {
        if (i > 0) names += i + 1 == n ? " or " : ", ";
        names += kCatalogue[i].name;
    }
    return names;
}

std::unique_ptr<Service> make_service(const InstanceConfig& config, StatusRenderer status) {
    return service_spec(config.type).make(config, status);
}

}  // namespace smalld
