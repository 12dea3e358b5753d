#include "service_registry.h"

#include "services.h"

namespace smalld {

namespace {

std::string no_check(const InstanceConfig&) {
    return {};
}

std::span<const KeySpec* const> no_keys() {
    return {};
}

const ServiceSpec kSpecs[] = {
    {ServiceType::Echo, "echo", 7, true, true, false, 32,
     [](const InstanceConfig&, StatusRenderer&) { return make_echo_service(); }, no_check, no_keys},
    {ServiceType::Discard, "discard", 9, true, true, false, 32,
     [](const InstanceConfig&, StatusRenderer&) { return make_discard_service(); }, no_check,
     no_keys},
    {ServiceType::Chargen, "chargen", 19, true, true, false, 32,
     [](const InstanceConfig&, StatusRenderer&) { return make_chargen_service(); }, no_check,
     no_keys},
    {ServiceType::Qotd, "qotd", 17, true, true, false, 32,
     [](const InstanceConfig& c, StatusRenderer&) { return make_qotd_service(c); }, no_check,
     qotd_keys},
    {ServiceType::Daytime, "daytime", 13, true, true, false, 32,
     [](const InstanceConfig& c, StatusRenderer&) { return make_daytime_service(c); }, no_check,
     daytime_keys},
    {ServiceType::Time, "time", 37, true, true, false, 32,
     [](const InstanceConfig& c, StatusRenderer&) { return make_time_service(c); }, no_check,
     time_keys},
    {ServiceType::Status, "status", 9007, true, true, true, 32,
     [](const InstanceConfig&, StatusRenderer& s) { return make_status_service(std::move(s)); },
     no_check, status_keys},
    // RFC 8762: UDP only; the cap never forbids the 44-byte base reply.
    {ServiceType::Stamp, "stamp", 862, false, true, false, 44,
     [](const InstanceConfig& c, StatusRenderer&) { return make_stamp_service(c); },
     check_stamp_config, stamp_keys},
};

}  // namespace

std::span<const ServiceSpec> service_specs() {
    return kSpecs;
}

const ServiceSpec& service_spec(ServiceType type) {
    for (const auto& spec : kSpecs)
        if (spec.type == type) return spec;
    return kSpecs[0];
}

std::string service_type_names() {
    std::string names;
    size_t n = std::size(kSpecs);
    for (size_t i = 0; i < n; ++i) {
        if (i > 0) names += i + 1 == n ? " or " : ", ";
        names += kSpecs[i].name;
    }
    return names;
}

std::unique_ptr<Service> make_service(const InstanceConfig& config, StatusRenderer status) {
    return service_spec(config.type).make(config, status);
}

}  // namespace smalld
