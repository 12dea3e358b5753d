// SPDX-License-Identifier: BSD-2-Clause
// RFC 863: read and drop; never a reply.
#include "service_registry.h"
#include "services.h"

namespace smalld {
namespace {

class DiscardService final : public Service {
  public:
    StreamMode stream_mode() const override { return StreamMode::Discard; }
    ptrdiff_t datagram(Datagram&, std::span<uint8_t>) override { return kNoReply; }
};

}  // namespace

std::unique_ptr<Service> make_discard_service() {
    return std::make_unique<DiscardService>();
}

// Its row in the catalogue (service_registry.h).
extern const ServiceSpec kDiscardSpec{
    .title = "discard (RFC 863)",
    .standard_port = 9,
    .make = [](const InstanceConfig&, StatusRenderer&) { return make_discard_service(); },
};

}  // namespace smalld
