// RFC 863: read and drop; never a reply.
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

}  // namespace smalld
