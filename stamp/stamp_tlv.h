// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// RFC 8972 TLVs after the STAMP base packet, as pure functions shared by the
// reflector and smallprobe: a bounds-checked walker that allocates nothing,
// the reflector's pass that fills each TLV it implements, and the encoders
// the sender uses. A TLV is flags (U, M, I), type, a 16-bit length of the
// value, then the value. The per-type handlers are in stamp_tlv_reflect.cpp.

#include <cstddef>
#include <cstdint>
#include <span>

namespace smalld::stamp {

inline constexpr uint8_t kTlvUnrecognized = 0x80;  // U
inline constexpr uint8_t kTlvMalformed = 0x40;     // M
inline constexpr uint8_t kTlvIntegrity = 0x20;     // I
inline constexpr size_t kTlvHeader = 4;
// The types RFC 8972 defines (section 4; IANA "STAMP TLV Types"). Type 0 is
// reserved: a run of zero bytes (RFC 8762 padding) walks as type-0 TLVs of
// length 0, which the reflector leaves as they are.
inline constexpr uint8_t kTlvExtraPadding = 1;
inline constexpr uint8_t kTlvLocation = 2;
inline constexpr uint8_t kTlvTimestampInformation = 3;
inline constexpr uint8_t kTlvClassOfService = 4;
inline constexpr uint8_t kTlvDirectMeasurement = 5;
inline constexpr uint8_t kTlvAccessReport = 6;
inline constexpr uint8_t kTlvFollowUpTelemetry = 7;
inline constexpr uint8_t kTlvHmac = 8;
inline constexpr size_t kDirectMeasurementLength = 12;
inline constexpr size_t kClassOfServiceLength = 4;
inline constexpr size_t kAccessReportLength = 4;
inline constexpr size_t kHmacTlvLength = 16;
inline constexpr size_t kLocationMinLength = 4;  // the two ports; sub-TLVs follow

// The Location TLV's sub-TLVs (RFC 8972 4.2; IANA "STAMP Sub-TLV Types"),
// in the TLV format: flags, type, 16-bit length, value.
inline constexpr uint8_t kSubSourceMac = 1;
inline constexpr uint8_t kSubSourceEui48 = 2;
inline constexpr uint8_t kSubSourceEui64 = 3;
inline constexpr uint8_t kSubDestinationIp = 4;
inline constexpr uint8_t kSubDestinationIpv4 = 5;
inline constexpr uint8_t kSubDestinationIpv6 = 6;
inline constexpr uint8_t kSubSourceIp = 7;
inline constexpr uint8_t kSubSourceIpv4 = 8;
inline constexpr uint8_t kSubSourceIpv6 = 9;

// True for the TLV types RFC 8972 defines (1 to 8): the reflector never
// sets U on them.
constexpr bool is_rfc8972_type(uint8_t type) {
    return type >= kTlvExtraPadding && type <= kTlvHmac;
}

struct Tlv {
    size_t at = 0;  // the header's offset in the area walked
    uint8_t flags = 0;
    uint8_t type = 0;
    uint16_t length = 0;  // of the value, which starts at at + kTlvHeader
};

// Calls visit(tlv) for each whole TLV of `area` (the bytes after the base
// packet), in order. Stops at the first TLV whose value runs past the end;
// returns its header's offset, or area.size() when every TLV was whole. A
// tail of 1 to 3 bytes, too short for a header, is not a TLV and not
// malformed (a TWAMP-Light sender's padding).
template <typename Visit>
size_t walk_tlvs(std::span<const uint8_t> area, Visit&& visit) {
    size_t at = 0;
    while (area.size() - at >= kTlvHeader) {
        Tlv tlv{at, area[at], area[at + 1],
                static_cast<uint16_t>(area[at + 2] << 8 | area[at + 3])};
        if (tlv.length > area.size() - at - kTlvHeader) return at;
        visit(tlv);
        at += kTlvHeader + tlv.length;
    }
    return area.size();
}

// The Direct Measurement TLV's counters: the sender's transmit count, the
// reflector's receive and transmit counts of the session.
struct DirectMeasurement {
    uint32_t sender_tx = 0, reflector_rx = 0, reflector_tx = 0;
};

// The first Direct Measurement TLV of `area` with the right length; false
// when there is none.
bool find_direct_measurement(std::span<const uint8_t> area, DirectMeasurement& out);

// Writes a Direct Measurement TLV carrying S_TX (16 bytes) at `out`.
void put_direct_measurement(std::span<uint8_t> out, uint32_t sender_tx);

// The Class of Service TLV's value (RFC 8972 4.4 with the ECN of the
// reflected packet, as draft-ietf-ippm-rfc8972bis lays it out): DSCP1 and
// ECN1, what the sender asks the reply to carry; DSCP2 and ECN2, what the
// reflector received; RP set when the reflector did not use DSCP1.
struct ClassOfService {
    uint8_t dscp1 = 0, ecn1 = 0, dscp2 = 0, ecn2 = 0, rp = 0;
};
ClassOfService read_class_of_service(const uint8_t* value);
void write_class_of_service(uint8_t* value, const ClassOfService& cos);

// The HMAC TLV's value (RFC 8972 4.8): HMAC-SHA-256, truncated to 16 bytes,
// of the base packet's sequence number followed by every TLV before it.
void tlv_area_hmac(std::span<const uint8_t> key, uint32_t sequence,
                   std::span<const uint8_t> preceding, uint8_t out[kHmacTlvLength]);

// How T2 and T3 were taken and the previous reply's transmit time (the
// Timestamp Information and Follow-Up Telemetry TLVs); defined with the
// reflector's timestamping.
struct TimestampFacts;

// One end of the request as the reflector saw it: the address (4 or 16
// bytes, network order; empty when unknown) and the port.
struct PacketEnd {
    std::span<const uint8_t> address;
    uint16_t port = 0;
};

// What the reflector knows when it fills the TLVs of one reply. A handler
// reads what its TLV needs; a null pointer means "not known here".
struct ReflectContext {
    const DirectMeasurement* counters = nullptr;  // a stateful session's counts
    uint8_t request_tos = 0;                      // the request's DSCP and ECN as received
    const TimestampFacts* timestamps = nullptr;
    PacketEnd source{}, destination{};  // the sender's end, the reflector's
    // Authenticated mode: the HMAC TLV is checked with `key` over the
    // request's sequence number and filled over the reply's.
    bool authenticated = false;
    std::span<const uint8_t> key{};
    uint32_t request_sequence = 0, reply_sequence = 0;
};

// What the pass decided for the reply as a whole.
struct ReflectOutcome {
    int reply_tos = -1;        // a Class of Service TLV's DSCP1/ECN1; -1: none asked
    bool hmac_failed = false;  // the request's HMAC TLV did not verify (I set)
};

// The reflector's pass over the TLVs of its reply (a copy of the
// request's), in order: Extra Padding and Access Report as sent; Location
// with the request's ports and addresses; Class of Service with what was
// received (the reply's DSCP and ECN in the outcome); Direct Measurement's
// R_RX and R_TX when `ctx.counters` is set (a stateful session); in an
// authenticated reply, the HMAC TLV checked (I on every TLV when it fails)
// and then recomputed. Timestamp Information and Follow-Up Telemetry are
// recognised. Any other type gets U (type 0, zero padding, excepted); a TLV
// of the wrong length for its type, or whose length runs past the packet,
// gets M.
ReflectOutcome reflect_tlvs(std::span<uint8_t> area, const ReflectContext& ctx);

// The handlers reflect_tlvs() dispatches to, one a type; `tlv` is the whole
// TLV, header and value, inside the reply (stamp_tlv_reflect.cpp).
void reflect_location(std::span<uint8_t> tlv, const ReflectContext& ctx);
void reflect_class_of_service(std::span<uint8_t> tlv, const ReflectContext& ctx,
                              ReflectOutcome& out);
void reflect_direct_measurement(std::span<uint8_t> tlv, const ReflectContext& ctx);
void reflect_access_report(std::span<uint8_t> tlv);
// The HMAC TLVs of an authenticated reply: check_hmac_tlvs() before any
// handler changes the area (the request's bytes), seal_hmac_tlvs() after.
bool check_hmac_tlvs(std::span<const uint8_t> area, const ReflectContext& ctx);
void seal_hmac_tlvs(std::span<uint8_t> area, const ReflectContext& ctx, bool failed);

}  // namespace smalld::stamp
