// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// RFC 8972 TLVs after the STAMP base packet, as pure functions shared by the
// reflector and smallprobe: a bounds-checked walker that allocates nothing,
// and the Direct Measurement TLV (RFC 8972 4.5). A TLV is flags (U, M, I),
// type, a 16-bit length of the value, then the value.

#include <cstddef>
#include <cstdint>
#include <span>

namespace smalld::stamp {

inline constexpr uint8_t kTlvUnrecognized = 0x80;  // U
inline constexpr uint8_t kTlvMalformed = 0x40;     // M
inline constexpr uint8_t kTlvIntegrity = 0x20;     // I
inline constexpr size_t kTlvHeader = 4;
inline constexpr uint8_t kTlvDirectMeasurement = 5;
inline constexpr size_t kDirectMeasurementLength = 12;

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

// How T2 and T3 were taken and the previous reply's transmit time (the
// Timestamp Information and Follow-Up Telemetry TLVs); defined with the
// reflector's timestamping.
struct TimestampFacts;

// What the reflector knows when it fills the TLVs of one reply. A handler
// reads what its TLV needs; a null pointer means "not known here".
struct ReflectContext {
    const DirectMeasurement* counters = nullptr;  // a stateful session's counts
    uint8_t request_tos = 0;                      // the request's DSCP and ECN as received
    const TimestampFacts* timestamps = nullptr;
};

// The reflector's pass over the TLVs of its reply (a copy of the
// request's): fills R_RX and R_TX of each Direct Measurement TLV when
// `ctx.counters` is set (a stateful session), sets M on a Direct Measurement
// TLV of the wrong length and on a TLV whose length runs past the packet,
// and leaves every other byte as the sender wrote it.
void reflect_tlvs(std::span<uint8_t> area, const ReflectContext& ctx);

}  // namespace smalld::stamp
