// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// How a STAMP reflector's timestamps were taken, as RFC 8972 says it: the
// Timestamp Information TLV (4.3: the clock's sync source and the method of
// T2 and T3) and the Follow-Up Telemetry TLV (4.7: the real transmit time of
// the session's previous reply). Pure encoders and decoders shared by the
// reflector and smallprobe; the reflector's TLV pass fills them from a
// TimestampFacts.

#include <cstddef>
#include <cstdint>
#include <span>

#include "stamp_tlv.h"  // the types, kTlvTimestampInformation and kTlvFollowUpTelemetry

namespace smalld::stamp {

inline constexpr size_t kTimestampInformationLength = 4;
inline constexpr size_t kFollowUpTelemetryLength = 16;

// RFC 8972 8.4: where the clock takes its time from.
enum class SyncSource : uint8_t {
    Unknown = 0,  // "reserved": a sender's request, not yet filled
    Ntp = 1,
    Ptp = 2,
    SsuBits = 3,
    Gnss = 4,
    FreeRunning = 5,  // the kernel says the clock is not synchronised
};

// RFC 8972 8.5: how a timestamp was taken (also the Follow-Up Telemetry
// TLV's Timestamp M field). Unknown: not taken at all (no kernel transmit
// timestamp came).
enum class TimestampMethod : uint8_t {
    Unknown = 0,
    Hardware = 1,
    Software = 2,
    ControlPlane = 3,
};

struct TimestampInformation {
    SyncSource sync_in = SyncSource::Unknown;
    TimestampMethod method_in = TimestampMethod::Unknown;  // T2
    SyncSource sync_out = SyncSource::Unknown;
    TimestampMethod method_out = TimestampMethod::Unknown;  // T3
};

struct FollowUpTelemetry {
    uint32_t sequence = 0;   // the previous reply's (reflector) sequence number
    uint64_t timestamp = 0;  // its transmit time, encoded; 0: unknown
    TimestampMethod method = TimestampMethod::Unknown;
};

// What the reflector's TLV pass needs (stamp_tlv.h's ReflectContext).
struct TimestampFacts {
    TimestampInformation information;
    // The session's previous reply; `previous_known` false when this is its
    // first or the reflector has forgotten it (all zeros go back).
    bool previous_known = false;
    FollowUpTelemetry previous;
};

// The reflector's pass: fills a TLV's value from the facts (left as the
// sender wrote it when `facts` is null); false, and nothing written, when
// the value has the wrong length (the caller sets M).
bool fill_timestamp_information(std::span<uint8_t> value, const TimestampFacts* facts);
bool fill_follow_up_telemetry(std::span<uint8_t> value, const TimestampFacts* facts);

// The first TLV of each type with the right length in `area`; false when
// there is none.
bool find_timestamp_information(std::span<const uint8_t> area, TimestampInformation& out);
bool find_follow_up_telemetry(std::span<const uint8_t> area, FollowUpTelemetry& out);

// A sender's request for each (8 and 20 bytes at `out`): the header and a
// zero value.
void put_timestamp_information(std::span<uint8_t> out);
void put_follow_up_telemetry(std::span<uint8_t> out);

// Names for the output: "NTP", "PTP", "free-running", "unknown"...;
// "hardware", "software", "control plane", "none".
const char* to_string(SyncSource source);
const char* to_string(TimestampMethod method);

}  // namespace smalld::stamp
