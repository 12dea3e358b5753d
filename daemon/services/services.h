// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The services' pure building blocks, shared by the Service classes and the
// unit tests.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "admission.h"
#include "config.h"
#include "service.h"
#include "stamp_packet.h"

namespace smalld {

// RFC 868: seconds since 1900-01-01 00:00 UTC, modulo 2^32 (wraps 2036-02-07).
uint32_t rfc868_seconds(int64_t unix_seconds);
// The 4 bytes of the reply, big-endian.
void rfc868_bytes(int64_t unix_seconds, uint8_t out[4]);

// The types' own settings (InstanceConfig::own), each filled by the type's
// keys in its service_NAME.cpp.
struct QotdSettings {
    std::string quotes_file;
    std::vector<std::string> quotes;  // loaded from quotes_file; empty = built-in set
    bool operator==(const QotdSettings&) const = default;
};

enum class DaytimeFormat { Ctime, Rfc3339, Rfc822 };
struct DaytimeSettings {
    DaytimeFormat format = DaytimeFormat::Ctime;
    bool local = false;
    int64_t offset = 0;  // seconds added to the clock
    bool operator==(const DaytimeSettings&) const = default;
};

struct TimeSettings {
    int64_t offset = 0;  // seconds added to the clock
    bool operator==(const TimeSettings&) const = default;
};

struct StatusSettings {
    // Who also sees the config path and the last reload (privacy.h).
    std::vector<Cidr> details;
    bool operator==(const StatusSettings&) const = default;
};

struct StampSettings {
    StampAuth auth = StampAuth::None;
    std::string key_file;
    std::string key;  // the bytes of key_file
    bool stateful = false;
    bool reflect_dscp = true;  // without a Class of Service TLV, the reply keeps the request's DSCP
    StampTimestamp timestamp = StampTimestamp::Ntp;
    unsigned sessions = 1024;
    Duration session_timeout{300'000};
    TxTimestamping timestamping = TxTimestamping::Auto;  // T3's real departure
    bool operator==(const StampSettings&) const = default;
};

// RFC 867 line, CRLF-terminated.
std::string format_daytime(WallTime now, DaytimeFormat format, bool local_time);

// RFC 864: lines of 72 printable characters and CRLF, each starting one
// character later in the 95 printable ASCII characters. Writes the stream from
// byte `offset` on.
static constexpr size_t kChargenLineLength = 74;
static constexpr size_t kChargenCycle = 95 * kChargenLineLength;  // 7030 bytes
void chargen_fill(uint64_t offset, std::span<char> out);

// RFC 865: picks a quote; `random` chooses. With `cap`, only quotes of at most
// cap bytes are candidates; returns nullptr when none fits.
const std::string* pick_quote(const std::vector<std::string>& quotes, uint64_t random,
                              size_t cap = SIZE_MAX);
const std::vector<std::string>& builtin_quotes();

// A fast non-cryptographic generator (xorshift64*) for choices that need no
// secrecy: chargen's datagram lengths, qotd's pick. Each service owns one, so
// no state is shared between instances (or, later, threads); tests inject a
// seeded one to get a fixed sequence.
class Random {
  public:
    explicit Random(uint64_t seed) : state_(seed ? seed : 0x9E3779B97F4A7C15ULL) {}
    // Seeded from the monotonic clock and a per-process counter.
    static Random from_clock();
    uint64_t next();

  private:
    uint64_t state_;
};

// time.offset and daytime.offset: one key, in service_time.cpp.
struct KeySpec;
extern const KeySpec kClockOffsetKey;

std::unique_ptr<Service> make_echo_service();
std::unique_ptr<Service> make_discard_service();
std::unique_ptr<Service> make_chargen_service(Random random = Random::from_clock());
std::unique_ptr<Service> make_qotd_service(const InstanceConfig& config,
                                           Random random = Random::from_clock());
std::unique_ptr<Service> make_daytime_service(const InstanceConfig& config);
std::unique_ptr<Service> make_time_service(const InstanceConfig& config);
std::unique_ptr<Service> make_status_service(const InstanceConfig& config, StatusRenderer render);

// RFC 8762/8972 STAMP session-reflector. The clock functions are injected
// for the tests; the defaults read the system clock.
struct StampClock {
    WallTime (*wall)() = wall_now;                              // T3
    stamp::ClockStatus (*status)() = stamp::read_clock_status;  // the Error Estimate
    int64_t (*steady_ms)() = monotonic_ms;                      // session idle time
};
std::unique_ptr<Service> make_stamp_service(const InstanceConfig& config, StampClock clock = {});
// An error message when the stamp keys do not fit together, or "".
std::string check_stamp_config(const InstanceConfig& config);

}  // namespace smalld
