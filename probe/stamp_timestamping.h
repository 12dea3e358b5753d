// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Where smallprobe stamp's timestamps come from. T1 is corrected to the
// kernel's (or the NIC's) transmit time of the request, read back from the
// socket's error queue (SO_TIMESTAMPING); T3 to the reflector's real
// transmit time of its reply, which the reflector reports in the next
// reply's Follow-Up Telemetry TLV (RFC 8972 4.7). The Timestamp Information
// TLV (4.3) says how the reflector took T2 and T3 and how its clock is
// synchronised. Whatever the kernel or the reflector does not give stays
// the user-space reading, and the output says so.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "stamp_timestamps.h"
#include "tx_timestamps.h"

namespace smallprobe {

struct Probe;

// --timestamping: what smallprobe asks of its kernel for T1, as the
// reflector's key says it; "user" (None): the clock read just before send()
// (no kernel transmit timestamps).
using Timestamping = smalld::TxTimestamping;
bool parse_timestamping(std::string_view text, Timestamping* out);
const char* timestamping_name(Timestamping mode);

// How one T1 or T3 was taken: the user-space clock read before the packet
// was handed to the kernel, or the kernel's or the NIC's transmit time.
enum class StampMethod : uint8_t { User, Software, Hardware };
const char* to_string(StampMethod method);

struct TimestampSummary {
    Timestamping mode = Timestamping::Auto;
    std::string refused;  // why the kernel gives no transmit timestamps; "" when it does
    bool follow_up_asked = false, info_asked = false;
    // Of the replies received: how their T1 and T3 were taken.
    uint64_t t1[3] = {0, 0, 0}, t3[3] = {0, 0, 0};  // by StampMethod
    bool info_known = false;                        // a Timestamp Information TLV came back
    smalld::stamp::TimestampInformation info;
    // The clocks' error estimates (seconds; < 0 unknown) and the bound on a
    // one-way figure they give: their sum, or 0 when one clock reads both.
    double sender_error_s = -1, reflector_error_s = -1, one_way_bound_s = -1;
    bool same_clock = false;
    // p50s of the user-space readings' figures, beside the corrected ones,
    // and of the corrections (kernel - user); valid false: no pair.
    bool t1_pairs = false, t3_pairs = false;
    double forward_user_p50_us = 0, t1_correction_p50_us = 0;
    double processing_user_p50_us = 0, t3_correction_p50_us = 0;
};

class SenderTimestamping {
  public:
    SenderTimestamping(Timestamping mode, bool follow_up, bool timestamp_info)
        : mode_(mode), follow_up_(follow_up && mode != Timestamping::None), info_(timestamp_info) {}

    // Asks the kernel for transmit timestamps on `fd` (not with User).
    void open(int fd);
    // The requests' TLVs (Follow-Up Telemetry, Timestamp Information) as
    // far as `room` bytes hold them; returns the bytes written.
    size_t put_tlvs(uint8_t* area, size_t room) const;
    // Bytes put_tlvs() writes when there is room.
    size_t tlv_bytes() const;
    // The kernel took probe `index` (numbered as the kernel numbers them).
    void sent(size_t index);
    // The error queue's reports: each probe's T1 becomes its transmit time.
    void collect(int fd, std::vector<Probe>& probes);
    // A reply to probe `index` arrived, its TLV area `area`: its Follow-Up
    // Telemetry corrects the T3 of the reply it names.
    // `ptp`: the reply's timestamps are PTP (its Z bit), else NTP.
    void replied(std::vector<Probe>& probes, size_t index, std::span<const uint8_t> area, bool ptp);
    void summarize(const std::vector<Probe>& probes, uint16_t sender_estimate,
                   uint16_t reflector_estimate, bool same_clock, TimestampSummary& out) const;

  private:
    Timestamping mode_;
    bool follow_up_, info_;
    bool kernel_ = false;  // the kernel said yes
    std::string refused_;
    std::vector<size_t> by_id_;  // kernel id -> probe index
    // Reflector sequence number -> probe index, for the Follow-Up's.
    std::unordered_map<uint32_t, size_t> by_reflector_seq_;
    bool info_known_ = false;
    smalld::stamp::TimestampInformation info_seen_;
};

// The summary's lines about timestamps, and its -j member ("timestamps":{...},).
void print_timestamp_lines(FILE* out, const TimestampSummary& t);
void print_timestamp_json(FILE* out, const TimestampSummary& t);
// " ± 16 s" (the bound on a one-way figure), "" when one clock reads both.
std::string one_way_bound_text(const TimestampSummary& t);

}  // namespace smallprobe
