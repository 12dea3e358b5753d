// SPDX-License-Identifier: BSD-2-Clause
#include "sender_session.h"

#include <algorithm>
#include <cstring>

#include "stamp_tlv.h"

namespace smalld::stamp {

namespace {

WallTime wall(int64_t ns) {
    return {ns / 1'000'000'000, uint32_t(ns % 1'000'000'000)};
}
int64_t nanos(WallTime t) {
    return t.unix_seconds * 1'000'000'000 + t.nanos;
}

}  // namespace

const char* to_string(ReplyDrop reason) {
    static const char* const kNames[kReplyDropReasons] = {
        "not_a_peer",    "wrong_ssid", "wrong_port", "never_sent", "replay",
        "too_far_ahead", "truncated",  "malformed",  "auth",       "receive_buffer"};
    return kNames[size_t(reason)];
}

SenderSession::SenderSession(const SenderSettings& settings)
    : settings_(settings), key_(settings.key.begin(), settings.key.end()) {
    settings_.key = key_;
    // Every packet that may still be answered has its slot: a timeout's
    // worth of intervals, and two more for the one being sent.
    int64_t interval = std::max<int64_t>(settings.interval_ns, 1);
    size_t wanted = size_t(std::max<int64_t>(settings.timeout_ns, 0) / interval) + 2;
    ring_.resize(std::clamp<size_t>(wanted, 4, kMaxOutstanding));
}

uint32_t SenderSession::build(std::span<uint8_t> out, uint32_t size, int64_t t1_ns) {
    bool auth = !key_.empty();
    const Layout& at = auth ? kAuthenticated : kUnauthenticated;
    size = uint32_t(std::clamp<size_t>(size, at.base, out.size()));
    // A full ring: the oldest packet is settled before its timeout.
    if (next_seq_ - oldest_ >= ring_.size()) settle_oldest();
    uint32_t seq = next_seq_++;
    uint8_t* p = out.data();
    std::memset(p, 0, size);
    store32(p, seq);
    store16(p + at.error_estimate, settings_.error_estimate);
    store16(p + at.ssid, settings_.ssid);
    // S_TX: the packets sent in this session, this one included.
    if (size >= at.base + kTlvHeader + kDirectMeasurementLength)
        put_direct_measurement({p + at.base, kTlvHeader + kDirectMeasurementLength},
                               uint32_t(sent_ + 1));
    uint64_t wire = encode_timestamp(wall(t1_ns), settings_.format);
    store64(p + at.timestamp, wire);
    if (auth) hmac16(key_, {p, kHmacOffset}, p + kHmacOffset);
    Slot& s = slot(seq);
    s = Slot{seq, size, wire, t1_ns, 0, true, {}};
    ++sent_;
    return seq;
}

bool SenderSession::unsend(uint32_t seq) {
    if (seq + 1 != next_seq_) return false;
    Slot& s = slot(seq);
    if (!s.live || s.seq != seq || s.copies != 0) return false;
    s.live = false;
    --next_seq_;
    --sent_;
    return true;
}

void SenderSession::transmitted(uint32_t seq, int64_t t1_ns) {
    if (next_seq_ - seq > ring_.size() || next_seq_ == seq) return;
    Slot& s = slot(seq);
    if (s.live && s.seq == seq && s.copies == 0) s.t1 = t1_ns;
}

ReplyOutcome SenderSession::take(std::span<const uint8_t> reply, bool port_matches, int64_t t4_ns,
                                 ReplySample* sample) {
    auto drop = [](ReplyDrop why) { return ReplyOutcome{ReplyOutcome::Dropped, why, false}; };
    bool auth = !key_.empty();
    const Layout& at = auth ? kAuthenticated : kUnauthenticated;
    const uint8_t* p = reply.data();
    size_t n = reply.size();
    if (n < at.base) return drop(ReplyDrop::Truncated);
    if (auth && !hmac_matches(key_, reply)) return drop(ReplyDrop::Auth);
    if (!is_reflected(reply, auth)) return drop(ReplyDrop::Malformed);
    std::span<const uint8_t> area = reply.subspan(at.base);
    if (!port_matches) return drop(ReplyDrop::WrongPort);
    if (load16(p + at.ssid) != settings_.ssid) return drop(ReplyDrop::WrongSsid);
    uint32_t seq = load32(p + at.sender_sequence);
    uint32_t age = next_seq_ - seq;  // 1: the last packet sent
    if (age == 0 || age > 0x8000'0000u) return drop(ReplyDrop::TooFarAhead);
    if (age > ring_.size()) return drop(ReplyDrop::Replay);
    Slot& s = slot(seq);
    if (!s.live || s.seq != seq) return drop(ReplyDrop::Replay);  // settled: too late
    if (load64(p + at.sender_timestamp) != s.t1_wire) return drop(ReplyDrop::NeverSent);
    if (n < s.size) return drop(ReplyDrop::Truncated);
    if (n > s.size) return drop(ReplyDrop::Malformed);
    if (walk_tlvs(area, [](const Tlv&) {}) != area.size()) return drop(ReplyDrop::Malformed);
    if (s.copies > 0) {
        s.copies = uint16_t(std::min<unsigned>(s.copies + 1u, 0xffff));
        ++duplicates_;
        return {ReplyOutcome::Duplicate, ReplyDrop::Malformed, false};
    }
    ReplyOutcome outcome{ReplyOutcome::Sample, ReplyDrop::Malformed, false};
    if (any_received_ && int32_t(seq - highest_received_) < 0) {
        outcome.reordered = true;
        ++reordered_;
    } else {
        highest_received_ = seq;
    }
    any_received_ = true;
    s.copies = 1;
    ++received_;
    last_reply_ns_ = t4_ns;
    uint16_t estimate = load16(p + at.error_estimate);
    auto format = estimate & 0x4000 ? TimestampFormat::Ptp : TimestampFormat::Ntp;
    // R_RX counts this packet: 0 is a TLV the reflector did not fill (a
    // stateless or RFC 8762-only reflector).
    DirectMeasurement dm;
    s.loss.received = true;
    s.loss.counted = find_direct_measurement(area, dm) && dm.reflector_rx != 0;
    s.loss.reflector_rx = dm.reflector_rx;
    s.loss.reflector_tx = dm.reflector_tx;
    s.loss.reflector_seq = load32(p);
    if (sample) {
        sample->seq = seq;
        sample->size = s.size;
        sample->t1 = s.t1;
        sample->t2 = nanos(decode_timestamp(load64(p + at.receive_timestamp), format));
        sample->t3 = nanos(decode_timestamp(load64(p + at.timestamp), format));
        sample->t4 = t4_ns;
        sample->forward_ttl = p[at.sender_ttl] ? int(p[at.sender_ttl]) : -1;
        sample->reflector_error_s = error_estimate_seconds(estimate);
        sample->reflector_synchronized = estimate & 0x8000;
    }
    return outcome;
}

bool SenderSession::claims(std::span<const uint8_t> reply) const {
    const Layout& at = key_.empty() ? kUnauthenticated : kAuthenticated;
    return reply.size() >= at.base && load16(reply.data() + at.ssid) == settings_.ssid;
}

void SenderSession::settle_oldest() {
    Slot& s = slot(oldest_);
    if (s.live && s.seq == oldest_) {
        s.loss.received = s.copies > 0;
        splitter_.add(s.loss);
        s.live = false;
    }
    ++oldest_;
}

void SenderSession::expire(int64_t now_ns) {
    while (oldest_ != next_seq_) {
        const Slot& s = slot(oldest_);
        if (s.live && s.seq == oldest_ && now_ns - s.t1 < settings_.timeout_ns) break;
        settle_oldest();
    }
    // Down for twice the up horizon (or never answered), or no count came
    // for an up horizon after a loss: none will come to split the open
    // interval's losses in time; they are of unknown direction.
    if (splitter_.pending() == 0)
        pending_since_ns_ = 0;
    else if (pending_since_ns_ == 0)
        pending_since_ns_ = now_ns;
    if (received_ == 0 || now_ns - last_reply_ns_ > 2 * up_horizon() ||
        (pending_since_ns_ && now_ns - pending_since_ns_ > up_horizon())) {
        splitter_.flush();
        pending_since_ns_ = 0;
    }
}

bool SenderSession::settles_a_loss(int64_t now_ns) const {
    for (uint32_t seq = oldest_; seq != next_seq_; ++seq) {
        const Slot& s = ring_[seq % ring_.size()];
        if (!s.live || s.seq != seq) continue;
        if (now_ns - s.t1 < settings_.timeout_ns) return false;
        if (s.copies == 0) return true;
    }
    return false;
}

uint64_t SenderSession::in_flight() const {
    uint64_t n = splitter_.pending();
    for (uint32_t seq = oldest_; seq != next_seq_; ++seq) {
        const Slot& s = ring_[seq % ring_.size()];
        n += s.live && s.seq == seq && s.copies == 0;
    }
    return n;
}

void SenderSession::receive_overflow() {
    for (uint32_t seq = oldest_; seq != next_seq_; ++seq) {
        Slot& s = slot(seq);
        if (s.live && s.seq == seq && s.copies == 0) s.loss.exposed = true;
    }
}

int64_t SenderSession::up_horizon() const {
    return std::max(3 * settings_.interval_ns, settings_.timeout_ns);
}

bool SenderSession::up(int64_t now_ns) const {
    return received_ > 0 && now_ns - last_reply_ns_ <= up_horizon();
}

}  // namespace smalld::stamp
