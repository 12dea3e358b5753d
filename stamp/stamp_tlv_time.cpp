// SPDX-License-Identifier: BSD-2-Clause
#include <cstring>

#include "stamp_packet.h"
#include "stamp_timestamps.h"
#include "stamp_tlv.h"

namespace smalld::stamp {

bool fill_timestamp_information(std::span<uint8_t> value, const TimestampFacts* facts) {
    if (value.size() != kTimestampInformationLength) return false;
    if (!facts) return true;
    const TimestampInformation& i = facts->information;
    value[0] = static_cast<uint8_t>(i.sync_in);
    value[1] = static_cast<uint8_t>(i.method_in);
    value[2] = static_cast<uint8_t>(i.sync_out);
    value[3] = static_cast<uint8_t>(i.method_out);
    return true;
}

bool fill_follow_up_telemetry(std::span<uint8_t> value, const TimestampFacts* facts) {
    if (value.size() != kFollowUpTelemetryLength) return false;
    if (!facts) return true;
    FollowUpTelemetry previous = facts->previous_known ? facts->previous : FollowUpTelemetry{};
    store32(value.data(), previous.sequence);
    store64(value.data() + 4, previous.timestamp);
    value[12] = static_cast<uint8_t>(previous.method);
    std::memset(value.data() + 13, 0, 3);
    return true;
}

namespace {

// The value of the first TLV of `type` and `length`, or an empty span.
std::span<const uint8_t> first_value(std::span<const uint8_t> area, uint8_t type, size_t length) {
    std::span<const uint8_t> found;
    walk_tlvs(area, [&](const Tlv& tlv) {
        if (found.empty() && tlv.type == type && tlv.length == length)
            found = area.subspan(tlv.at + kTlvHeader, length);
    });
    return found;
}

void put_request(std::span<uint8_t> out, uint8_t type, size_t length) {
    out[0] = 0;
    out[1] = type;
    store16(out.data() + 2, static_cast<uint16_t>(length));
    std::memset(out.data() + kTlvHeader, 0, length);
}

}  // namespace

bool find_timestamp_information(std::span<const uint8_t> area, TimestampInformation& out) {
    std::span<const uint8_t> v =
        first_value(area, kTlvTimestampInformation, kTimestampInformationLength);
    if (v.empty()) return false;
    out = {static_cast<SyncSource>(v[0]), static_cast<TimestampMethod>(v[1]),
           static_cast<SyncSource>(v[2]), static_cast<TimestampMethod>(v[3])};
    return true;
}

bool find_follow_up_telemetry(std::span<const uint8_t> area, FollowUpTelemetry& out) {
    std::span<const uint8_t> v = first_value(area, kTlvFollowUpTelemetry, kFollowUpTelemetryLength);
    if (v.empty()) return false;
    out = {load32(v.data()), load64(v.data() + 4), static_cast<TimestampMethod>(v[12])};
    return true;
}

void put_timestamp_information(std::span<uint8_t> out) {
    put_request(out, kTlvTimestampInformation, kTimestampInformationLength);
}

void put_follow_up_telemetry(std::span<uint8_t> out) {
    put_request(out, kTlvFollowUpTelemetry, kFollowUpTelemetryLength);
}

const char* to_string(SyncSource source) {
    switch (source) {
        case SyncSource::Ntp:
            return "NTP";
        case SyncSource::Ptp:
            return "PTP";
        case SyncSource::SsuBits:
            return "SSU/BITS";
        case SyncSource::Gnss:
            return "GNSS";
        case SyncSource::FreeRunning:
            return "free-running";
        case SyncSource::Unknown:
            break;
    }
    return "unknown";
}

const char* to_string(TimestampMethod method) {
    switch (method) {
        case TimestampMethod::Hardware:
            return "hardware";
        case TimestampMethod::Software:
            return "software";
        case TimestampMethod::ControlPlane:
            return "control plane";
        case TimestampMethod::Unknown:
            break;
    }
    return "none";
}

}  // namespace smalld::stamp
