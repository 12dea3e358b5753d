// SPDX-License-Identifier: BSD-2-Clause
// RFC 868: four bytes, big-endian seconds since 1900 modulo 2^32, then close.
#include "parse.h"
#include "service_registry.h"
#include "services.h"

namespace smalld {

// 70 years of seconds, 17 of them leap years.
static constexpr int64_t kSeconds1900To1970 = 2'208'988'800;

uint32_t rfc868_seconds(int64_t unix_seconds) {
    // The modulo is the protocol: the count wraps on 2036-02-07 06:28:16 UTC.
    return static_cast<uint32_t>(static_cast<uint64_t>(unix_seconds + kSeconds1900To1970));
}

void rfc868_bytes(int64_t unix_seconds, uint8_t out[4]) {
    uint32_t v = rfc868_seconds(unix_seconds);
    out[0] = static_cast<uint8_t>(v >> 24);
    out[1] = static_cast<uint8_t>(v >> 16);
    out[2] = static_cast<uint8_t>(v >> 8);
    out[3] = static_cast<uint8_t>(v);
}

namespace {

class TimeService final : public Service {
  public:
    explicit TimeService(const InstanceConfig& config)
        : offset_(own_settings<TimeSettings>(config).offset) {}

    StreamMode stream_mode() const override { return StreamMode::Message; }
    std::string message(WallTime now, const SockAddr&) override {
        uint8_t bytes[4];
        rfc868_bytes(now.unix_seconds + offset_, bytes);
        return std::string(reinterpret_cast<char*>(bytes), 4);
    }
    ptrdiff_t datagram(Datagram& d, std::span<uint8_t> out) override {
        if (out.size() < 4) return kReplyTooLarge;
        rfc868_bytes(d.received.unix_seconds + offset_, out.data());
        return 4;
    }

  private:
    int64_t offset_;
};

}  // namespace

std::unique_ptr<Service> make_time_service(const InstanceConfig& config) {
    return std::make_unique<TimeService>(config);
}

// The type's own keys (config_table.h) and its row in the catalogue. The
// offset key is shared with daytime, which has the same setting.
const KeySpec kClockOffsetKey{
    Scope::Instance,
    "offset",
    "0",
    "time, daytime: seconds added to the clock (for testing)",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        if (auto* daytime = std::any_cast<DaytimeSettings>(&i->own))
            return assign(daytime->offset, parse_int(v, -(1LL << 40), 1LL << 40, e));
        return assign(own_settings<TimeSettings>(*i).offset,
                      parse_int(v, -(1LL << 40), 1LL << 40, e));
    }};

namespace {

const KeySpec* const kKeys[] = {&kClockOffsetKey};

}  // namespace

extern const ServiceSpec kTimeSpec{
    .title = "time (RFC 868)",
    .standard_port = 37,
    .make = [](const InstanceConfig& c, StatusRenderer&) { return make_time_service(c); },
    .settings = own_settings_of<TimeSettings>,
    .keys = kKeys,
};

}  // namespace smalld
