#include <ctime>

#include "services.h"

namespace smalld {

WallTime wall_now() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return {ts.tv_sec, static_cast<uint32_t>(ts.tv_nsec)};
}

uint64_t next_random() {
    // xorshift64*, seeded from the clock once.
    static uint64_t state = [] {
        timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (static_cast<uint64_t>(ts.tv_nsec) << 20) ^ static_cast<uint64_t>(ts.tv_sec) ^
               0x9E3779B97F4A7C15ULL;
    }();
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545F4914F6CDD1DULL;
}

std::unique_ptr<Service> make_service(const InstanceConfig& config, StatusRenderer status) {
    switch (config.type) {
        case ServiceType::Echo:
            return make_echo_service();
        case ServiceType::Discard:
            return make_discard_service();
        case ServiceType::Chargen:
            return make_chargen_service();
        case ServiceType::Qotd:
            return make_qotd_service(config);
        case ServiceType::Daytime:
            return make_daytime_service(config);
        case ServiceType::Time:
            return make_time_service(config);
        case ServiceType::Status:
            return make_status_service(std::move(status));
    }
    return nullptr;
}

}  // namespace smalld
