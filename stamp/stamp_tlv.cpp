// SPDX-License-Identifier: BSD-2-Clause
#include "stamp_tlv.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstring>

#include "stamp_packet.h"
#include "stamp_timestamps.h"

namespace smalld::stamp {

bool find_direct_measurement(std::span<const uint8_t> area, DirectMeasurement& out) {
    bool found = false;
    walk_tlvs(area, [&](const Tlv& tlv) {
        if (found || tlv.type != kTlvDirectMeasurement || tlv.length != kDirectMeasurementLength)
            return;
        const uint8_t* value = area.data() + tlv.at + kTlvHeader;
        out = {load32(value), load32(value + 4), load32(value + 8)};
        found = true;
    });
    return found;
}

void put_direct_measurement(std::span<uint8_t> out, uint32_t sender_tx) {
    out[0] = 0;
    out[1] = kTlvDirectMeasurement;
    store16(out.data() + 2, kDirectMeasurementLength);
    store32(out.data() + 4, sender_tx);
    store32(out.data() + 8, 0);
    store32(out.data() + 12, 0);
}

ClassOfService read_class_of_service(const uint8_t* value) {
    return {static_cast<uint8_t>(value[0] >> 2), static_cast<uint8_t>(value[0] & 3),
            static_cast<uint8_t>(value[1] >> 2), static_cast<uint8_t>(value[1] & 3),
            static_cast<uint8_t>(value[2] >> 6)};
}

void write_class_of_service(uint8_t* value, const ClassOfService& cos) {
    value[0] = static_cast<uint8_t>((cos.dscp1 & 0x3f) << 2 | (cos.ecn1 & 3));
    value[1] = static_cast<uint8_t>((cos.dscp2 & 0x3f) << 2 | (cos.ecn2 & 3));
    value[2] = static_cast<uint8_t>((cos.rp & 3) << 6);
    value[3] = 0;
}

void tlv_area_hmac(std::span<const uint8_t> key, uint32_t sequence,
                   std::span<const uint8_t> preceding, uint8_t out[kHmacTlvLength]) {
    // Two pieces, so no copy of the TLVs: EVP_MAC takes them in turn.
    static EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    std::memset(out, 0, kHmacTlvLength);
    EVP_MAC_CTX* ctx = hmac ? EVP_MAC_CTX_new(hmac) : nullptr;
    if (!ctx) return;
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    uint8_t seq[4];
    store32(seq, sequence);
    uint8_t full[EVP_MAX_MD_SIZE];
    size_t length = 0;
    if (EVP_MAC_init(ctx, key.data(), key.size(), params) == 1 &&
        EVP_MAC_update(ctx, seq, sizeof seq) == 1 &&
        EVP_MAC_update(ctx, preceding.data(), preceding.size()) == 1 &&
        EVP_MAC_final(ctx, full, &length, sizeof full) == 1 && length >= kHmacTlvLength)
        std::memcpy(out, full, kHmacTlvLength);
    EVP_MAC_CTX_free(ctx);
}

ReflectOutcome reflect_tlvs(std::span<uint8_t> area, const ReflectContext& ctx) {
    ReflectOutcome out;
    // The request's HMAC TLV covers the TLVs as the sender wrote them.
    out.hmac_failed = ctx.authenticated && !check_hmac_tlvs(area, ctx);
    size_t end = walk_tlvs(area, [&](const Tlv& t) {
        std::span<uint8_t> tlv = area.subspan(t.at, kTlvHeader + t.length);
        switch (t.type) {
            case 0:  // reserved: zero padding, not a TLV anyone sent
            case kTlvExtraPadding:
                break;
            case kTlvTimestampInformation:
                if (!fill_timestamp_information(tlv.subspan(kTlvHeader), ctx.timestamps))
                    tlv[0] |= kTlvMalformed;
                break;
            case kTlvFollowUpTelemetry:
                if (!fill_follow_up_telemetry(tlv.subspan(kTlvHeader), ctx.timestamps))
                    tlv[0] |= kTlvMalformed;
                break;
            case kTlvLocation:
                reflect_location(tlv, ctx);
                break;
            case kTlvClassOfService:
                reflect_class_of_service(tlv, ctx, out);
                break;
            case kTlvDirectMeasurement:
                reflect_direct_measurement(tlv, ctx);
                break;
            case kTlvAccessReport:
                reflect_access_report(tlv);
                break;
            case kTlvHmac:
                if (t.length != kHmacTlvLength) tlv[0] |= kTlvMalformed;
                break;
            default:
                tlv[0] |= kTlvUnrecognized;
        }
    });
    if (end < area.size()) area[end] |= kTlvMalformed;  // its length runs past the packet
    if (ctx.authenticated) seal_hmac_tlvs(area, ctx, out.hmac_failed);
    return out;
}

}  // namespace smalld::stamp
