// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// STAMP (RFC 8762, with the RFC 8972 SSID) test packets, as pure functions:
// classify a Session-Sender packet, build the Session-Reflector packet, and
// seal it (T3 and, when authenticated, the HMAC) just before it is sent.
// No socket and no clock: the caller passes the times in.

#include <cstddef>
#include <cstdint>
#include <span>

#include "wall_time.h"

namespace smalld {

// A stamp instance's auth and timestamp settings (smalld.ini(5)).
enum class StampAuth { None, Required, Optional };
enum class StampTimestamp { Ntp, Ptp };

}  // namespace smalld

namespace smalld::stamp {

// Sizes of the base packets and of TWAMP-Light's shortest Session-Sender
// packet (sequence number, timestamp and error estimate: RFC 5357).
inline constexpr size_t kBaseSize = 44;
inline constexpr size_t kAuthBaseSize = 112;
inline constexpr size_t kShortestRequest = 14;
inline constexpr size_t kHmacOffset = 96;  // the HMAC covers bytes 0..95
inline constexpr size_t kHmacSize = 16;    // HMAC-SHA-256 truncated to 128 bits

using TimestampFormat = StampTimestamp;
using AuthMode = StampAuth;

// Offsets of the fields in each layout (RFC 8762 sections 4.2 and 4.3).
struct Layout {
    size_t timestamp, error_estimate, ssid, receive_timestamp, sender_sequence, sender_timestamp,
        sender_error_estimate, sender_ttl, base;
};
inline constexpr Layout kUnauthenticated = {4, 12, 14, 16, 24, 28, 36, 40, kBaseSize};
inline constexpr Layout kAuthenticated = {16, 24, 26, 32, 48, 64, 72, 80, kAuthBaseSize};

// 64-bit timestamps: NTP (seconds since 1900, 32-bit fraction) or PTPv2
// truncated (seconds since 1970 modulo 2^32, nanoseconds).
uint64_t encode_timestamp(WallTime t, TimestampFormat format);
WallTime decode_timestamp(uint64_t t, TimestampFormat format);

// The state of the local clock, as ntp_adjtime(2) reports it.
struct ClockStatus {
    bool synchronized = false;
    uint64_t error_ns = 0;  // estimated maximum error
};
ClockStatus read_clock_status();

// The Error Estimate field (RFC 4656 4.1.2): S when synchronised, Z for PTP,
// and the error as multiplier x 2^(-32) x 2^scale seconds, rounded up so it
// never understates the error.
uint16_t error_estimate(const ClockStatus& clock, TimestampFormat format);
// Seconds the field stands for (for the sender and the tests).
double error_estimate_seconds(uint16_t field);

// HMAC-SHA-256 of `data`, truncated to 16 bytes.
void hmac16(std::span<const uint8_t> key, std::span<const uint8_t> data, uint8_t out[kHmacSize]);
// True when the packet (at least 112 bytes) carries the right HMAC over its
// first 96 bytes; compared in constant time.
bool hmac_matches(std::span<const uint8_t> key, std::span<const uint8_t> packet);

enum class Verdict { Reply, Malformed, AuthFailure, Reflected };
struct Classified {
    Verdict verdict = Verdict::Malformed;
    bool authenticated = false;
    size_t reply_size = 0;
};
// What to do with a Session-Sender packet of this size and content.
// Authenticated packets need a key; with AuthMode::Optional a packet counts
// as authenticated when it is long enough and its HMAC matches. A packet that
// is itself a Session-Reflector packet (is_reflected) is Verdict::Reflected:
// answering it would let two reflectors answer each other forever.
Classified classify(std::span<const uint8_t> request, AuthMode auth, std::span<const uint8_t> key);

// True when `packet` is a Session-Reflector packet, not a Session-Sender one.
// A sender zeroes what a reflector fills in (RFC 8762 4.2: the receive
// timestamp, the sender's sequence number, timestamp and TTL are MBZ in a
// sender packet). A TWAMP-Light sender may fill its padding at random
// (RFC 4656 4.1.2), so a non-zero byte alone proves nothing; a reflector
// packet is one whose transmit and receive timestamps (T3, T2) are both set
// and that either has zero in the MBZ octets around them (every RFC 8762 and
// RFC 5357 reflector, smalld's included) or has T3 within a second of T2 (a
// reflector that fills its MBZ octets). Random padding passes either test
// with a probability below 2^-30. `authenticated`: the packet carries a valid
// HMAC, so its layout is RFC 8762 4.3.2; otherwise it is read as 4.3.1 and,
// when long enough, as 4.3.2 too (an authenticated reply sent to a reflector
// that does not check the HMAC). Bytes past the end of a short packet (a
// 41-byte RFC 5357 reply) count as zero.
bool is_reflected(std::span<const uint8_t> packet, bool authenticated);

// What the reflector adds to the reply.
struct ReflectorFields {
    uint32_t sequence = 0;
    uint16_t error_estimate = 0;
    uint64_t receive_timestamp = 0;  // T2, encoded
    uint8_t sender_ttl = 0;          // 0 when unknown
};
// Writes the reply into `out` (at least c.reply_size bytes): the reflector's
// fields, the sender's sequence number, timestamp, error estimate and SSID,
// and every byte past the base packet unchanged. T3 and the HMAC are left
// for seal(). Returns c.reply_size.
size_t build_reply(std::span<const uint8_t> request, const Classified& c,
                   const ReflectorFields& fields, std::span<uint8_t> out);
// Writes T3 and, for an authenticated reply, its HMAC.
void seal_reply(std::span<uint8_t> reply, bool authenticated, uint64_t transmit_timestamp,
                std::span<const uint8_t> key);

// Big-endian helpers shared with the sender.
uint64_t load64(const uint8_t* p);
uint32_t load32(const uint8_t* p);
uint16_t load16(const uint8_t* p);
void store64(uint8_t* p, uint64_t v);
void store32(uint8_t* p, uint32_t v);
void store16(uint8_t* p, uint16_t v);

}  // namespace smalld::stamp
