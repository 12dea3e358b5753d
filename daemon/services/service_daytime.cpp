// SPDX-License-Identifier: BSD-2-Clause
// RFC 867: one human-readable line with the date and time, then close.
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "parse.h"
#include "service_registry.h"
#include "services.h"

namespace smalld {

std::string format_daytime(WallTime now, DaytimeFormat format, bool local_time) {
    time_t t = static_cast<time_t>(now.unix_seconds);
    tm parts{};
    if (local_time)
        localtime_r(&t, &parts);
    else
        gmtime_r(&t, &parts);
    char buf[128];
    size_t n = 0;
    switch (format) {
        case DaytimeFormat::Ctime:
            n = strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Y", &parts);
            break;
        case DaytimeFormat::Rfc822:
            n = strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S %z", &parts);
            break;
        case DaytimeFormat::Rfc3339:
            if (!local_time) {
                n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &parts);
                break;
            }
            // RFC 3339 writes the offset as +01:00; strftime's %z gives +0100.
            n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &parts);
            long off = parts.tm_gmtoff / 60;
            n += static_cast<size_t>(snprintf(buf + n, sizeof buf - n, "%c%02ld:%02ld",
                                              off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60));
            break;
    }
    return std::string(buf, n) + "\r\n";
}

namespace {

class DaytimeService final : public Service {
  public:
    explicit DaytimeService(const InstanceConfig& config)
        : format_(own_settings<DaytimeSettings>(config).format),
          local_(own_settings<DaytimeSettings>(config).local),
          offset_(own_settings<DaytimeSettings>(config).offset) {}

    StreamMode stream_mode() const override { return StreamMode::Message; }
    std::string message(WallTime now, const SockAddr&) override { return reply_text(now); }
    ptrdiff_t datagram(Datagram& d, std::span<uint8_t> out) override {
        std::string line = reply_text(d.received);
        if (line.size() > out.size()) return kReplyTooLarge;
        std::memcpy(out.data(), line.data(), line.size());
        return static_cast<ptrdiff_t>(line.size());
    }

  private:
    std::string reply_text(WallTime now) const {
        now.unix_seconds += offset_;
        return format_daytime(now, format_, local_);
    }
    DaytimeFormat format_;
    bool local_;
    int64_t offset_;
};

}  // namespace

std::unique_ptr<Service> make_daytime_service(const InstanceConfig& config) {
    return std::make_unique<DaytimeService>(config);
}

// The type's own keys (config_table.h) and its row in the catalogue.
namespace {

const KeySpec kFormatKey{
    Scope::Instance,
    "format",
    "ctime",
    "daytime: ctime | rfc3339 | rfc822",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        return assign(own_settings<DaytimeSettings>(*i).format,
                      parse_keyword<DaytimeFormat>(v,
                                                   {{"ctime", DaytimeFormat::Ctime},
                                                    {"rfc3339", DaytimeFormat::Rfc3339},
                                                    {"rfc822", DaytimeFormat::Rfc822}},
                                                   e));
    }};

const KeySpec kTimezoneKey{
    Scope::Instance,
    "timezone",
    "utc",
    "daytime: utc | local",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        return assign(own_settings<DaytimeSettings>(*i).local,
                      parse_keyword<bool>(v, {{"utc", false}, {"local", true}}, e));
    }};

const KeySpec* const kKeys[] = {&kFormatKey, &kTimezoneKey, &kClockOffsetKey};

}  // namespace

extern const ServiceSpec kDaytimeSpec{
    .title = "daytime (RFC 867)",
    .standard_port = 13,
    .make = [](const InstanceConfig& c, StatusRenderer&) { return make_daytime_service(c); },
    .settings = own_settings_of<DaytimeSettings>,
    .keys = kKeys,
};

}  // namespace smalld
