// SPDX-License-Identifier: BSD-2-Clause
// The reflector's handler of each RFC 8972 TLV it fills, one function a
// type (reflect_tlvs() in stamp_tlv.cpp dispatches): Location (4.2), Class
// of Service (4.4), Direct Measurement (4.5), Access Report (4.6) and the
// HMAC TLV (4.8). Pure: the reply's bytes and what the reflector saw in,
// the filled bytes out.
#include <openssl/crypto.h>

#include <cstring>

#include "stamp_packet.h"
#include "stamp_tlv.h"

namespace smalld::stamp {

namespace {

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool is_mapped(std::span<const uint8_t> address) {
    return address.size() == 16 && std::memcmp(address.data(), kMappedPrefix, 12) == 0;
}

// Writes `address` into a sub-TLV value of 4 or 16 bytes: as it is, an
// IPv4 address as IPv4-mapped IPv6 in 16 bytes, an IPv4-mapped one as IPv4
// in 4. False when it does not fit.
bool put_address(std::span<uint8_t> value, std::span<const uint8_t> address) {
    if (value.size() == address.size()) {
        std::memcpy(value.data(), address.data(), value.size());
        return true;
    }
    if (value.size() == 16 && address.size() == 4) {
        std::memcpy(value.data(), kMappedPrefix, 12);
        std::memcpy(value.data() + 12, address.data(), 4);
        return true;
    }
    if (value.size() == 4 && is_mapped(address)) {
        std::memcpy(value.data(), address.data() + 12, 4);
        return true;
    }
    return false;
}

// One sub-TLV of a Location TLV (whole, header and value). The reflector
// sees no link-layer header, so it does not know a MAC or EUI address: U.
void fill_location_sub(std::span<uint8_t> sub, const ReflectContext& ctx) {
    std::span<uint8_t> value = sub.subspan(kTlvHeader);
    bool source = sub[1] >= kSubSourceIp;
    const PacketEnd& end = source ? ctx.source : ctx.destination;
    bool ipv4 = is_mapped(end.address) || end.address.size() == 4;
    switch (sub[1]) {
        case kSubDestinationIp:
        case kSubSourceIp:
            if (!end.address.empty() && !put_address(value, end.address)) sub[0] |= kTlvMalformed;
            return;
        case kSubDestinationIpv4:
        case kSubSourceIpv4:
            if (value.size() != 4)
                sub[0] |= kTlvMalformed;
            else if (ipv4)
                put_address(value, end.address);
            return;  // an IPv6 packet has no IPv4 address: left as sent
        case kSubDestinationIpv6:
        case kSubSourceIpv6:
            if (value.size() != 16)
                sub[0] |= kTlvMalformed;
            else if (!end.address.empty())
                put_address(value, end.address);
            return;
        default:  // MAC and EUI addresses, and types RFC 8972 does not define
            sub[0] |= kTlvUnrecognized;
    }
}

template <typename Visit>
void walk_tlvs_of(std::span<uint8_t> area, Visit&& visit) {
    walk_tlvs(std::span<const uint8_t>(area),
              [&](const Tlv& t) { visit(t, area.subspan(t.at, kTlvHeader + t.length)); });
}

}  // namespace

void reflect_location(std::span<uint8_t> tlv, const ReflectContext& ctx) {
    if (tlv.size() < kTlvHeader + kLocationMinLength) {
        tlv[0] |= kTlvMalformed;
        return;
    }
    store16(tlv.data() + kTlvHeader, ctx.destination.port);
    store16(tlv.data() + kTlvHeader + 2, ctx.source.port);
    std::span<uint8_t> subs = tlv.subspan(kTlvHeader + kLocationMinLength);
    size_t end = walk_tlvs(std::span<const uint8_t>(subs), [&](const Tlv& t) {
        fill_location_sub(subs.subspan(t.at, kTlvHeader + t.length), ctx);
    });
    if (end < subs.size()) tlv[0] |= kTlvMalformed;  // a sub-TLV runs past the TLV
}

void reflect_class_of_service(std::span<uint8_t> tlv, const ReflectContext& ctx,
                              ReflectOutcome& out) {
    if (tlv.size() != kTlvHeader + kClassOfServiceLength) {
        tlv[0] |= kTlvMalformed;
        return;
    }
    ClassOfService cos = read_class_of_service(tlv.data() + kTlvHeader);
    cos.dscp2 = ctx.request_tos >> 2;
    cos.ecn2 = ctx.request_tos & 3;
    cos.rp = 0;  // the reply carries DSCP1 (and ECN1)
    write_class_of_service(tlv.data() + kTlvHeader, cos);
    if (out.reply_tos < 0) out.reply_tos = cos.dscp1 << 2 | cos.ecn1;
}

void reflect_direct_measurement(std::span<uint8_t> tlv, const ReflectContext& ctx) {
    if (tlv.size() != kTlvHeader + kDirectMeasurementLength) {
        tlv[0] |= kTlvMalformed;
        return;
    }
    if (!ctx.counters) return;
    uint8_t* value = tlv.data() + kTlvHeader;
    store32(value + 4, ctx.counters->reflector_rx);
    store32(value + 8, ctx.counters->reflector_tx);
}

void reflect_access_report(std::span<uint8_t> tlv) {
    // The sender's report about its access network, for the reflector's
    // operator: returned as sent.
    if (tlv.size() != kTlvHeader + kAccessReportLength) tlv[0] |= kTlvMalformed;
}

bool check_hmac_tlvs(std::span<const uint8_t> area, const ReflectContext& ctx) {
    bool ok = true;
    walk_tlvs(area, [&](const Tlv& t) {
        if (t.type != kTlvHmac || t.length != kHmacTlvLength) return;
        uint8_t expected[kHmacTlvLength];
        tlv_area_hmac(ctx.key, ctx.request_sequence, area.first(t.at), expected);
        if (CRYPTO_memcmp(expected, area.data() + t.at + kTlvHeader, kHmacTlvLength) != 0)
            ok = false;
    });
    return ok;
}

void seal_hmac_tlvs(std::span<uint8_t> area, const ReflectContext& ctx, bool failed) {
    // I on every TLV when the request's failed (RFC 8972 4: the extensions
    // failed the check), before the reply's HMAC covers them.
    if (failed)
        walk_tlvs_of(area, [](const Tlv&, std::span<uint8_t> tlv) { tlv[0] |= kTlvIntegrity; });
    walk_tlvs_of(area, [&](const Tlv& t, std::span<uint8_t> tlv) {
        if (t.type != kTlvHmac || t.length != kHmacTlvLength) return;
        tlv_area_hmac(ctx.key, ctx.reply_sequence, area.first(t.at), tlv.data() + kTlvHeader);
    });
}

}  // namespace smalld::stamp
