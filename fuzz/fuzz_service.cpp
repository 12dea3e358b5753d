// SPDX-License-Identifier: BSD-2-Clause
// Every service's handlers: Service::datagram with a random amplification cap
// (the reply must fit it), Service::generate at a random offset, and
// Service::message. The first bytes choose the service, its settings and the
// sizes; the rest is the request.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "config.h"
#include "fuzz_input.h"
#include "service_registry.h"
#include "services.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in{data, size};
    smalld::InstanceConfig config;
    uint64_t choice = in.take(1);
    config.type = static_cast<smalld::ServiceType>(choice % smalld::service_catalogue().size());
    auto format = static_cast<smalld::DaytimeFormat>(choice / 7 % 3);
    bool local = choice & 0x80;
    // The clock offset the config accepts: +-2^40 s.
    int64_t offset_seconds = int64_t(in.take(6) % (uint64_t(1) << 41)) - (int64_t(1) << 40);
    if (config.type == smalld::ServiceType::Daytime)
        config.own = smalld::DaytimeSettings{format, local, offset_seconds};
    else if (config.type == smalld::ServiceType::Time)
        config.own = smalld::TimeSettings{offset_seconds};
    size_t cap = in.take(2) % 65528;  // udp_reply_cap never allows more than 65527
    uint64_t offset = in.take(8);
    size_t generate_size = in.take(2) % 70000;
    size_t status_size = in.take(2) % 8192;
    if (config.type == smalld::ServiceType::Qotd && in.take(1) & 1) {
        // Quotes as a qotd.quotes file could give them: up to 512 bytes each.
        size_t n = in.take(1) % 8;
        auto& quotes = smalld::own_settings<smalld::QotdSettings>(config).quotes;
        for (size_t i = 0; i < n; ++i) quotes.emplace_back(1 + in.take(2) % 512, 'q');
    }
    auto service =
        smalld::make_service(config, [status_size](bool) { return std::string(status_size, 's'); });
    if (!service) abort();
    smalld::WallTime now = smalld::wall_now();
    smalld::SockAddr peer;  // no address: a status report without details

    // UDP: the reply goes into a buffer of exactly the cap, so ASan sees any overrun.
    std::vector<uint8_t> request(in.data, in.data + in.size);
    std::vector<uint8_t> reply(cap);
    smalld::Datagram d;
    d.payload = request;
    d.received = now;
    ptrdiff_t n = service->datagram(d, reply);
    if (n >= 0 && d.seal) service->seal({reply.data(), size_t(n)}, d.seal);
    if (n != smalld::kNoReply && n != smalld::kReplyTooLarge && n != smalld::kLoopReply &&
        (n < 0 || size_t(n) > cap))
        abort();
    if (n == smalld::kLoopReply && config.type != smalld::ServiceType::Stamp) abort();
    if (config.type == smalld::ServiceType::Echo && n >= 0 &&
        (size_t(n) != request.size() ||
         (!request.empty() && memcmp(reply.data(), request.data(), request.size()))))
        abort();

    switch (service->stream_mode()) {
        case smalld::StreamMode::Generate: {
            std::vector<char> out(generate_size);
            if (service->generate(offset, out) != out.size()) abort();
            for (char c : out)
                if (!((c >= ' ' && c <= '~') || c == '\r' || c == '\n')) abort();
            break;
        }
        case smalld::StreamMode::Message: {
            std::string message = service->message(now, peer);
            if (config.type != smalld::ServiceType::Status && message.empty()) abort();
            break;
        }
        default:
            break;
    }
    return 0;
}
