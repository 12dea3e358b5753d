// SPDX-License-Identifier: BSD-2-Clause
#include "stamp_packet.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/timex.h>

#include <cmath>
#include <cstring>

#include "stamp_hmac.h"

namespace smalld::stamp {

namespace {

constexpr int64_t kSeconds1900To1970 = 2'208'988'800;
constexpr uint16_t kSynchronized = 0x8000;
constexpr uint16_t kPtpFormat = 0x4000;

}  // namespace

uint64_t load64(const uint8_t* p) {
    return uint64_t(load32(p)) << 32 | load32(p + 4);
}
uint32_t load32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}
uint16_t load16(const uint8_t* p) {
    return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
void store64(uint8_t* p, uint64_t v) {
    store32(p, static_cast<uint32_t>(v >> 32));
    store32(p + 4, static_cast<uint32_t>(v));
}
void store32(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}
void store16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}

uint64_t encode_timestamp(WallTime t, TimestampFormat format) {
    if (format == TimestampFormat::Ptp)
        return uint64_t(static_cast<uint32_t>(t.unix_seconds)) << 32 | t.nanos;
    auto seconds =
        static_cast<uint32_t>(static_cast<uint64_t>(t.unix_seconds + kSeconds1900To1970));
    uint64_t fraction = (uint64_t(t.nanos) << 32) / 1'000'000'000u;
    return uint64_t(seconds) << 32 | fraction;
}

WallTime decode_timestamp(uint64_t t, TimestampFormat format) {
    auto seconds = static_cast<uint32_t>(t >> 32);
    auto low = static_cast<uint32_t>(t);
    if (format == TimestampFormat::Ptp) return {int64_t(seconds), low % 1'000'000'000u};
    // NTP era 0 ends in 2036; seconds below 1970's count belong to era 1.
    int64_t unix = int64_t(seconds) - kSeconds1900To1970;
    if (unix < 0) unix += int64_t(1) << 32;
    // Round to the nearest nanosecond, so encode/decode round-trips.
    uint64_t nanos = (uint64_t(low) * 1'000'000'000u + (uint64_t(1) << 31)) >> 32;
    if (nanos >= 1'000'000'000u) nanos = 999'999'999u;
    return {unix, static_cast<uint32_t>(nanos)};
}

ClockStatus read_clock_status() {
    timex tx{};
    int state = ntp_adjtime(&tx);
    ClockStatus status;
    status.synchronized = state != -1 && state != TIME_ERROR && !(tx.status & STA_UNSYNC);
    // The estimated error while synchronised; unsynchronised, the kernel's
    // maximum error, which grows until it reaches 16 s.
    long micros = status.synchronized ? tx.esterror : tx.maxerror;
    status.error_ns = micros > 0 ? uint64_t(micros) * 1000u : 0;
    return status;
}

uint16_t error_estimate(const ClockStatus& clock, TimestampFormat format) {
    // The error in units of 2^-32 s, rounded up; then the smallest scale at
    // which the multiplier fits its 8 bits (and is never 0: RFC 4656).
    double units = std::ceil(double(clock.error_ns) * 4.294967296);
    unsigned scale = 0;
    while (scale < 63 && units > 255.0) {
        units = std::ceil(units / 2);
        ++scale;
    }
    unsigned multiplier = units < 1 ? 1 : units > 255 ? 255 : unsigned(units);
    uint16_t field = static_cast<uint16_t>(scale << 8 | multiplier);
    if (clock.synchronized) field |= kSynchronized;
    if (format == TimestampFormat::Ptp) field |= kPtpFormat;
    return field;
}

double error_estimate_seconds(uint16_t field) {
    unsigned scale = (field >> 8) & 0x3f;
    unsigned multiplier = field & 0xff;
    return std::ldexp(double(multiplier), int(scale) - 32);
}

void hmac16(std::span<const uint8_t> key, std::span<const uint8_t> data, uint8_t out[kHmacSize]) {
    uint8_t full[kSha256Size];
    hmac_sha256(key, data, full);  // the keyed state made once per key
    std::memcpy(out, full, kHmacSize);
}

bool hmac_matches(std::span<const uint8_t> key, std::span<const uint8_t> packet) {
    if (packet.size() < kAuthBaseSize || key.empty()) return false;
    uint8_t expected[kHmacSize];
    hmac16(key, packet.first(kHmacOffset), expected);
    return CRYPTO_memcmp(expected, packet.data() + kHmacOffset, kHmacSize) == 0;
}

namespace {

// A reflector packet's layout: where T3 and T2 are, and its MBZ octets
// (offset, length), RFC 8762 4.3.1 and 4.3.2 with RFC 8972's SSID.
struct ReflectorLayout {
    size_t transmit, receive;
    struct Span {
        size_t at, length;
    };
    Span mbz[6];
};
constexpr ReflectorLayout kReflectedPlain = {
    4, 16, {{38, 2}, {41, 3}, {0, 0}, {0, 0}, {0, 0}, {0, 0}}};
constexpr ReflectorLayout kReflectedAuthenticated = {
    16, 32, {{4, 12}, {28, 4}, {40, 8}, {52, 12}, {74, 6}, {81, 15}}};

// Up to 8 bytes at `at`, big-endian, zero past the end of the packet.
uint64_t load_padded(std::span<const uint8_t> p, size_t at, size_t length) {
    uint64_t v = 0;
    for (size_t i = 0; i < length; ++i) v = v << 8 | (at + i < p.size() ? p[at + i] : 0);
    return v;
}

bool looks_reflected(std::span<const uint8_t> p, const ReflectorLayout& at) {
    uint64_t t3 = load_padded(p, at.transmit, 8), t2 = load_padded(p, at.receive, 8);
    if (t3 == 0 || t2 == 0) return false;
    // T3 - T2 in either direction, within 2^32 units: a second in NTP's
    // 32.32 format, about one in PTP's (seconds in the upper half).
    constexpr uint64_t kSecond = uint64_t(1) << 32;
    if (t3 - t2 <= kSecond || t2 - t3 <= kSecond) return true;
    for (const auto& span : at.mbz)
        for (size_t i = 0; i < span.length; i += 8)
            if (load_padded(p, span.at + i, std::min<size_t>(8, span.length - i)) != 0)
                return false;
    return true;
}

}  // namespace

bool is_reflected(std::span<const uint8_t> packet, bool authenticated) {
    if (authenticated) return looks_reflected(packet, kReflectedAuthenticated);
    return looks_reflected(packet, kReflectedPlain) ||
           (packet.size() >= kAuthBaseSize && looks_reflected(packet, kReflectedAuthenticated));
}

Classified classify(std::span<const uint8_t> request, AuthMode auth, std::span<const uint8_t> key) {
    Classified c;
    if (request.size() < kShortestRequest) return c;  // Malformed
    bool authentic = auth != AuthMode::None && hmac_matches(key, request);
    if (auth == AuthMode::Required && !authentic) {
        c.verdict = Verdict::AuthFailure;
        return c;
    }
    if (is_reflected(request, authentic)) {
        c.verdict = Verdict::Reflected;
        return c;
    }
    c.verdict = Verdict::Reply;
    c.authenticated = authentic;
    // Symmetric size (RFC 8762 4.2.1); a TWAMP-Light sender's shorter
    // packet gets the base packet.
    c.reply_size = std::max(request.size(), authentic ? kAuthBaseSize : kBaseSize);
    return c;
}

size_t build_reply(std::span<const uint8_t> request, const Classified& c,
                   const ReflectorFields& fields, std::span<uint8_t> out) {
    const Layout& at = c.authenticated ? kAuthenticated : kUnauthenticated;
    // The sender's fields sit at the same offsets as ours in each layout;
    // a TWAMP-Light request may stop after its error estimate.
    uint8_t sender[kAuthBaseSize] = {};
    std::memcpy(sender, request.data(), std::min(request.size(), at.base));
    std::memset(out.data(), 0, at.base);
    if (c.reply_size > at.base && request.size() > at.base)
        std::memcpy(out.data() + at.base, request.data() + at.base, request.size() - at.base);
    store32(out.data(), fields.sequence);
    store16(out.data() + at.error_estimate, fields.error_estimate);
    std::memcpy(out.data() + at.ssid, sender + at.ssid, 2);
    store64(out.data() + at.receive_timestamp, fields.receive_timestamp);
    std::memcpy(out.data() + at.sender_sequence, sender, 4);
    std::memcpy(out.data() + at.sender_timestamp, sender + at.timestamp, 8);
    std::memcpy(out.data() + at.sender_error_estimate, sender + at.error_estimate, 2);
    out[at.sender_ttl] = fields.sender_ttl;
    return c.reply_size;
}

void seal_reply(std::span<uint8_t> reply, bool authenticated, uint64_t transmit_timestamp,
                std::span<const uint8_t> key) {
    const Layout& at = authenticated ? kAuthenticated : kUnauthenticated;
    store64(reply.data() + at.timestamp, transmit_timestamp);
    if (authenticated) hmac16(key, reply.first(kHmacOffset), reply.data() + kHmacOffset);
}

}  // namespace smalld::stamp
