// SPDX-License-Identifier: BSD-2-Clause
#include "stamp_tlv.h"

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

void reflect_tlvs(std::span<uint8_t> area, const ReflectContext& ctx) {
    const DirectMeasurement* counters = ctx.counters;
    size_t end = walk_tlvs(area, [&](const Tlv& tlv) {
        std::span<uint8_t> value = area.subspan(tlv.at + kTlvHeader, tlv.length);
        bool whole = true;
        switch (tlv.type) {
            case kTlvTimestampInformation:
                whole = fill_timestamp_information(value, ctx.timestamps);
                break;
            case kTlvFollowUpTelemetry:
                whole = fill_follow_up_telemetry(value, ctx.timestamps);
                break;
        }
        if (!whole) area[tlv.at] |= kTlvMalformed;
        if (tlv.type != kTlvDirectMeasurement) return;
        if (tlv.length != kDirectMeasurementLength) {
            area[tlv.at] |= kTlvMalformed;
            return;
        }
        if (!counters) return;
        store32(value.data() + 4, counters->reflector_rx);
        store32(value.data() + 8, counters->reflector_tx);
    });
    if (end < area.size()) area[end] |= kTlvMalformed;  // its length runs past the packet
}

}  // namespace smalld::stamp
