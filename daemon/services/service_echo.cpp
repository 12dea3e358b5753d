// SPDX-License-Identifier: BSD-2-Clause
// RFC 862: every byte back, in order.
#include <cstring>

#include "service_registry.h"
#include "services.h"

namespace smalld {
namespace {

class EchoService final : public Service {
  public:
    StreamMode stream_mode() const override { return StreamMode::Echo; }
    ptrdiff_t datagram(Datagram& d, std::span<uint8_t> out) override {
        std::span<const uint8_t> in = d.payload;
        if (in.size() > out.size()) return kReplyTooLarge;
        if (!in.empty() && in.data() != out.data()) std::memmove(out.data(), in.data(), in.size());
        return static_cast<ptrdiff_t>(in.size());
    }
};

}  // namespace

std::unique_ptr<Service> make_echo_service() {
    return std::make_unique<EchoService>();
}

// Its row in the catalogue (service_registry.h).
extern const ServiceSpec kEchoSpec{
    .title = "echo (RFC 862)",
    .standard_port = 7,
    .make = [](const InstanceConfig&, StatusRenderer&) { return make_echo_service(); },
};

}  // namespace smalld
