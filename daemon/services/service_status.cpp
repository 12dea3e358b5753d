// SPDX-License-Identifier: BSD-2-Clause
// The status service: a one-screen plain-text report, then close. Over UDP the
// report is cut to the amplification cap. The operator's details go only to
// the clients `details` names (privacy.h: the rule of every network client).
#include <cstring>

#include "parse.h"
#include "privacy.h"
#include "service_registry.h"
#include "services.h"

namespace smalld {
namespace {

class StatusService final : public Service {
  public:
    StatusService(std::vector<Cidr> details, StatusRenderer render)
        : details_(std::move(details)), render_(std::move(render)) {}

    StreamMode stream_mode() const override { return StreamMode::Message; }
    std::string message(WallTime, const SockAddr& peer) override {
        return render_ ? render_(may_see_details(details_, peer)) : std::string();
    }
    ptrdiff_t datagram(Datagram& d, std::span<uint8_t> out) override {
        std::string report =
            render_ ? render_(d.peer && may_see_details(details_, *d.peer)) : std::string();
        size_t n = std::min(report.size(), out.size());
        if (n > 0) std::memcpy(out.data(), report.data(), n);
        return static_cast<ptrdiff_t>(n);
    }

  private:
    std::vector<Cidr> details_;
    StatusRenderer render_;
};

}  // namespace

std::unique_ptr<Service> make_status_service(const InstanceConfig& config, StatusRenderer render) {
    return std::make_unique<StatusService>(own_settings<StatusSettings>(config).details,
                                           std::move(render));
}

// The type's own keys (config_table.h) and its row in the catalogue.
namespace {

const KeySpec kDetailsKey{
    Scope::Instance,
    "details",
    "no",
    "status: clients also shown the config file's path and the last reload's result (which "
    "may quote the file): no, yes (every client the ACL admits) or address prefixes as in allow",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        return parse_details(v, own_settings<StatusSettings>(*i).details, e);
    }};

const KeySpec* const kKeys[] = {&kDetailsKey};

}  // namespace

extern const ServiceSpec kStatusSpec{
    .title = "status",
    .standard_port = 9007,
    .loopback_default = true,
    .make = [](const InstanceConfig& c,
               StatusRenderer& render) { return make_status_service(c, std::move(render)); },
    .settings = own_settings_of<StatusSettings>,
    .keys = kKeys,
};

}  // namespace smalld
