// The status service: a one-screen plain-text report, then close. Over UDP the
// report is cut to the amplification cap.
#include <cstring>

#include "config_table.h"
#include "parse.h"
#include "services.h"

namespace smalld {
namespace {

class StatusService final : public Service {
  public:
    explicit StatusService(StatusRenderer render) : render_(std::move(render)) {}

    StreamMode stream_mode() const override { return StreamMode::Message; }
    std::string message(WallTime) override { return render_ ? render_() : std::string(); }
    ptrdiff_t datagram(Datagram& d, std::span<uint8_t> out) override {
        std::string report = message(d.received);
        size_t n = std::min(report.size(), out.size());
        if (n > 0) std::memcpy(out.data(), report.data(), n);
        return static_cast<ptrdiff_t>(n);
    }

  private:
    StatusRenderer render_;
};

}  // namespace

std::unique_ptr<Service> make_status_service(StatusRenderer render) {
    return std::make_unique<StatusService>(std::move(render));
}

// The type's own keys (config_table.h); the registry lists them in its row.
namespace {

const KeySpec kDetailsKey{
    Scope::Instance,
    "details",
    "no",
    "status: also show the config file's path and the last reload's result (which may quote "
    "the file) to every client the ACL admits",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        return assign(i->status_details, parse_bool(v, e));
    }};

}  // namespace

std::span<const KeySpec* const> status_keys() {
    static const KeySpec* const keys[] = {&kDetailsKey};
    return keys;
}

}  // namespace smalld
