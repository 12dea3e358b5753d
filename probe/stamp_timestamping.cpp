// SPDX-License-Identifier: BSD-2-Clause
#include "stamp_timestamping.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "stamp.h"
#include "stamp_packet.h"
#include "stamp_tlv.h"
#include "tx_timestamps.h"

namespace smallprobe {

namespace stamp = smalld::stamp;

bool parse_timestamping(std::string_view text, Timestamping* out) {
    if (text != "user") return smalld::parse_tx_timestamping(std::string(text).c_str(), out);
    *out = Timestamping::None;
    return true;
}

const char* timestamping_name(Timestamping mode) {
    return mode == Timestamping::None ? "user" : smalld::to_string(mode);
}

const char* to_string(StampMethod method) {
    switch (method) {
        case StampMethod::Software:
            return "kernel (software)";
        case StampMethod::Hardware:
            return "NIC (hardware)";
        case StampMethod::User:
            break;
    }
    return "user-space clock read before send";
}

void SenderTimestamping::open(int fd) {
    if (mode_ == Timestamping::None) return;
    kernel_ = smalld::enable_tx_timestamps(fd, mode_);
    if (!kernel_) refused_ = std::string("SO_TIMESTAMPING: ") + strerror(errno);
}

size_t SenderTimestamping::tlv_bytes() const {
    return (follow_up_ ? stamp::kTlvHeader + stamp::kFollowUpTelemetryLength : 0) +
           (info_ ? stamp::kTlvHeader + stamp::kTimestampInformationLength : 0);
}

size_t SenderTimestamping::put_tlvs(uint8_t* area, size_t room) const {
    size_t at = 0;
    if (follow_up_ && room - at >= stamp::kTlvHeader + stamp::kFollowUpTelemetryLength) {
        stamp::put_follow_up_telemetry({area + at, room - at});
        at += stamp::kTlvHeader + stamp::kFollowUpTelemetryLength;
    }
    if (info_ && room - at >= stamp::kTlvHeader + stamp::kTimestampInformationLength) {
        stamp::put_timestamp_information({area + at, room - at});
        at += stamp::kTlvHeader + stamp::kTimestampInformationLength;
    }
    return at;
}

void SenderTimestamping::sent(size_t index) {
    if (kernel_) by_id_.push_back(index);
}

void SenderTimestamping::collect(int fd, std::vector<Probe>& probes) {
    if (!kernel_) return;
    smalld::TxTimestamp reports[64];
    for (;;) {
        size_t n = smalld::read_tx_timestamps(fd, reports, std::size(reports));
        for (size_t i = 0; i < n; ++i) {
            // Not ours, or a closing packet (after the run's probes).
            if (reports[i].id >= by_id_.size() || by_id_[reports[i].id] >= probes.size()) continue;
            Probe& p = probes[by_id_[reports[i].id]];
            if (p.t1_method != StampMethod::User) continue;
            p.t1_user = p.t1;
            p.t1 = reports[i].ns;
            p.t1_method = reports[i].hardware ? StampMethod::Hardware : StampMethod::Software;
        }
        if (n < std::size(reports)) return;
    }
}

void SenderTimestamping::replied(std::vector<Probe>& probes, size_t index,
                                 std::span<const uint8_t> area, bool ptp) {
    auto format = ptp ? stamp::TimestampFormat::Ptp : stamp::TimestampFormat::Ntp;
    stamp::TimestampInformation info;
    // All zeros: a reflector that echoed the request without filling it.
    if (info_ && stamp::find_timestamp_information(area, info) &&
        info.sync_in != stamp::SyncSource::Unknown) {
        info_known_ = true;
        info_seen_ = info;
    }
    if (!follow_up_) return;
    stamp::FollowUpTelemetry previous;
    if (stamp::find_follow_up_telemetry(area, previous) && previous.timestamp &&
        previous.method != stamp::TimestampMethod::Unknown) {
        auto it = by_reflector_seq_.find(previous.sequence);
        if (it != by_reflector_seq_.end()) {
            Probe& p = probes[it->second];
            if (p.received && p.t3_method == StampMethod::User) {
                smalld::WallTime t = stamp::decode_timestamp(previous.timestamp, format);
                p.t3_user = p.t3;
                p.t3 = t.unix_seconds * 1'000'000'000 + t.nanos;
                p.t3_method = previous.method == stamp::TimestampMethod::Hardware
                                  ? StampMethod::Hardware
                                  : StampMethod::Software;
            }
        }
    }
    by_reflector_seq_[probes[index].reflector_seq] = index;
}

namespace {

double seconds_of(uint16_t field) {
    // A zero multiplier is no estimate at all (RFC 4656 4.1.2).
    return (field & 0xff) ? stamp::error_estimate_seconds(field) : -1;
}

double p50(std::vector<double> v) {
    return quantiles(std::move(v)).p50;
}

}  // namespace

void SenderTimestamping::summarize(const std::vector<Probe>& probes, uint16_t sender_estimate,
                                   uint16_t reflector_estimate, bool same_clock,
                                   TimestampSummary& out) const {
    out.mode = mode_;
    out.refused = refused_;
    out.follow_up_asked = follow_up_;
    out.info_asked = info_;
    out.info_known = info_known_;
    out.info = info_seen_;
    out.same_clock = same_clock;
    out.sender_error_s = seconds_of(sender_estimate);
    out.reflector_error_s = seconds_of(reflector_estimate);
    if (same_clock)
        out.one_way_bound_s = 0;
    else if (out.sender_error_s >= 0 && out.reflector_error_s >= 0)
        out.one_way_bound_s = out.sender_error_s + out.reflector_error_s;
    std::vector<double> forward_user, t1_fix, processing_user, t3_fix;
    for (const Probe& p : probes) {
        if (!p.received) continue;
        ++out.t1[size_t(p.t1_method)];
        ++out.t3[size_t(p.t3_method)];
        int64_t t1 = p.t1_method == StampMethod::User ? p.t1 : p.t1_user;
        int64_t t3 = p.t3_method == StampMethod::User ? p.t3 : p.t3_user;
        if (p.t1_method != StampMethod::User) {
            forward_user.push_back(double(p.t2 - t1) / 1000.0);
            t1_fix.push_back(double(p.t1 - t1) / 1000.0);
        }
        if (p.t3_method != StampMethod::User) {
            processing_user.push_back(double(t3 - p.t2) / 1000.0);
            t3_fix.push_back(double(p.t3 - t3) / 1000.0);
        }
    }
    out.t1_pairs = !t1_fix.empty();
    out.t3_pairs = !t3_fix.empty();
    if (out.t1_pairs) {
        out.forward_user_p50_us = p50(forward_user);
        out.t1_correction_p50_us = p50(t1_fix);
    }
    if (out.t3_pairs) {
        out.processing_user_p50_us = p50(processing_user);
        out.t3_correction_p50_us = p50(t3_fix);
    }
}

}  // namespace smallprobe
