// SPDX-License-Identifier: BSD-2-Clause
// RFC 8762 STAMP session-reflector with the RFC 8972 TLVs (stamp_tlv); also
// answers TWAMP-Light senders (RFC 5357 Appendix I). UDP only. T2 is the
// kernel's receive timestamp, T3 is read in seal(), just before the reply
// goes to the kernel. The packet logic is in stamp_packet.
#include "instance.h"
#include "log.h"
#include "services.h"
#include "stamp_follow_up.h"
#include "stamp_sessions.h"
#include "stamp_timestamps.h"
#include "stamp_tlv.h"

namespace smalld {
namespace {

constexpr uint32_t kSealed = 1;
constexpr uint32_t kSealAuthenticated = 2;
// ntp_adjtime(2) is a system call: its answer is reused for this long.
constexpr int64_t kClockStatusRefreshMs = 1000;
// The reply's IP TTL / hop limit: 255, so the sender counts the hops back.
constexpr int kReplyTtl = 255;
LogLimiter downgrade_log("stamp auth downgrades");

class StampService final : public Service {
  public:
    StampService(const std::string& name, const StampSettings& settings, StampClock clock)
        : clock_(clock),
          auth_(settings.auth),
          format_(settings.timestamp),
          stateful_(settings.stateful),
          reflect_dscp_(settings.reflect_dscp),
          capacity_(settings.sessions),
          idle_ms_(settings.session_timeout.count()),
          timestamping_(settings.timestamping),
          key_(settings.key.begin(), settings.key.end()),
          name_(name) {}

    StreamMode stream_mode() const override { return StreamMode::Discard; }

    void attach(InstanceStats& stats, InstanceState& state) override {
        stats_ = &stats.stamp;
        auto* sessions = dynamic_cast<StampSessions*>(state.service.get());
        if (!sessions) {
            state.service = std::make_unique<StampSessions>();
            sessions = static_cast<StampSessions*>(state.service.get());
        }
        sessions_ = sessions;
    }

    TxTimestamping tx_timestamping() const override { return timestamping_; }

    // The previous reply's real departure, for the Follow-Up Telemetry TLV.
    void transmitted(uint64_t ticket, const TxTimestamp& when) override {
        follow_ups_.transmitted(
            ticket,
            stamp::encode_timestamp({when.ns / 1'000'000'000, uint32_t(when.ns % 1'000'000'000)},
                                    format_),
            when.hardware ? stamp::TimestampMethod::Hardware : stamp::TimestampMethod::Software);
    }

    uint64_t sessions_kept() const override {
        return stateful_ && sessions_ ? sessions_->size() : 0;
    }

    // A packet dropped before the service saw it still counts as received
    // by its session (the Direct Measurement TLV's R_RX). A reflector's
    // reply is no packet of a session. With auth = required the packet is
    // read in the authenticated layout without checking its HMAC, so a
    // dropped flood costs no HMAC each.
    void note_dropped(const Datagram& d) override {
        if (!stateful_ || !d.peer || d.payload.size() < stamp::kShortestRequest) return;
        bool authenticated =
            auth_ == stamp::AuthMode::Required
                ? d.payload.size() >= stamp::kAuthBaseSize
                : auth_ == stamp::AuthMode::Optional && stamp::hmac_matches(key_, d.payload);
        if (stamp::is_reflected(d.payload, authenticated)) return;
        count_dropped(d, authenticated);
    }

    ptrdiff_t datagram(Datagram& d, std::span<uint8_t> out) override {
        stamp::Classified c = stamp::classify(d.payload, auth_, key_);
        if (c.verdict == stamp::Verdict::Malformed) {
            ++stats_->malformed;
            return kNoReply;
        }
        if (c.verdict == stamp::Verdict::AuthFailure) {
            ++stats_->auth_failures;
            // Its session, if the sender's is one: the authenticated layout.
            if (d.payload.size() >= stamp::kAuthBaseSize) count_dropped(d, true);
            return kNoReply;
        }
        // Another reflector's reply (RFC 8762 4.3): answering it would start
        // a loop between the two reflectors.
        if (c.verdict == stamp::Verdict::Reflected) return kLoopReply;
        if (auth_ == stamp::AuthMode::Optional && !c.authenticated &&
            d.payload.size() >= stamp::kAuthBaseSize)
            note_downgrade(d);
        if (c.reply_size > out.size()) {
            count_dropped(d, c.authenticated);
            return kReplyTooLarge;
        }
        const stamp::Layout& at = c.authenticated ? stamp::kAuthenticated : stamp::kUnauthenticated;
        stamp::ReflectorFields fields;
        stamp::DirectMeasurement counters;
        bool counted = false;
        if (stateful_ && d.peer) {
            StampSessions::Count count = sessions_->next_sequence(
                *d.peer, ssid_of(d, at), clock_.steady_ms(), capacity_, idle_ms_, *stats_);
            fields.sequence = count.sequence;
            counters.reflector_rx = count.received;
            counters.reflector_tx = count.sent;
            counted = true;
        } else {
            fields.sequence = stamp::load32(d.payload.data());
        }
        fields.error_estimate = error_estimate();
        // How T2 and T3 are taken, and the session's previous reply.
        stamp::TimestampFacts facts;
        stamp::SyncSource sync =
            status_.synchronized ? stamp::SyncSource::Ntp : stamp::SyncSource::FreeRunning;
        facts.information = {sync,
                             d.hardware_timestamp ? stamp::TimestampMethod::Hardware
                                                  : stamp::TimestampMethod::Software,
                             sync, stamp::TimestampMethod::Software};
        if (d.peer) {
            uint64_t key = stamp::FollowUpTable::key_of(*d.peer, ssid_of(d, at));
            facts.previous_known = follow_ups_.previous(key, facts.previous);
            d.tx_ticket = follow_ups_.replying(key, fields.sequence);
        }
        fields.receive_timestamp = stamp::encode_timestamp(d.received, format_);
        fields.sender_ttl = d.ttl >= 0 && d.ttl <= 255 ? static_cast<uint8_t>(d.ttl) : 0;
        size_t n = stamp::build_reply(d.payload, c, fields, out);
        uint8_t request_tos = d.tos >= 0 && d.tos <= 255 ? static_cast<uint8_t>(d.tos) : 0;
        stamp::ReflectOutcome outcome;
        if (n > at.base) {
            stamp::ReflectContext ctx;
            ctx.counters = counted ? &counters : nullptr;
            ctx.request_tos = request_tos;
            if (d.peer) ctx.source = {d.peer->address_bytes(), d.peer->port()};
            ctx.destination.port = d.local_port;
            if (d.local) ctx.destination.address = d.local->address_bytes();
            ctx.authenticated = c.authenticated;
            ctx.key = key_;
            ctx.request_sequence = stamp::load32(d.payload.data());
            ctx.reply_sequence = fields.sequence;
            ctx.timestamps = &facts;
            outcome = stamp::reflect_tlvs(out.subspan(at.base, n - at.base), ctx);
        }
        // The Class of Service TLV's DSCP and ECN; else the request's DSCP (not
        // its ECN: a congestion mark belongs to the way out).
        if (outcome.reply_tos >= 0)
            d.reply_tos = outcome.reply_tos;
        else if (reflect_dscp_ && d.tos >= 0)
            d.reply_tos = request_tos & 0xfc;
        d.reply_ttl = kReplyTtl;
        d.seal = kSealed | (c.authenticated ? kSealAuthenticated : 0);
        ++stats_->reflected;
        return static_cast<ptrdiff_t>(n);
    }

    void seal(std::span<uint8_t> reply, uint32_t tag) override {
        bool authenticated = tag & kSealAuthenticated;
        WallTime t3 = clock_.wall();
        stamp::seal_reply(reply, authenticated, stamp::encode_timestamp(t3, format_), key_);
        const stamp::Layout& at = authenticated ? stamp::kAuthenticated : stamp::kUnauthenticated;
        WallTime t2 =
            stamp::decode_timestamp(stamp::load64(reply.data() + at.receive_timestamp), format_);
        stats_->observe_processing((t3.unix_seconds - t2.unix_seconds) * 1'000'000'000 +
                                   (int64_t(t3.nanos) - int64_t(t2.nanos)));
    }

  private:
    static uint16_t ssid_of(const Datagram& d, const stamp::Layout& at) {
        return d.payload.size() >= at.ssid + 2 ? stamp::load16(d.payload.data() + at.ssid) : 0;
    }

    void count_dropped(const Datagram& d, bool authenticated) {
        if (!stateful_ || !d.peer) return;
        sessions_->count_dropped(
            *d.peer, ssid_of(d, authenticated ? stamp::kAuthenticated : stamp::kUnauthenticated));
    }

    // auth = optional answers a packet of authenticated size with a bad HMAC
    // unauthenticated: counted and logged (a way to strip authentication).
    void note_downgrade(const Datagram& d) {
        ++stats_->auth_downgraded;
        if (d.peer && downgrade_log.admit(LogLevel::Notice))
            LOG_NOTICE(
                "%s: udp %s: auth_failed: HMAC did not match, answered "
                "unauthenticated (auth = optional)",
                name_.c_str(), d.peer->to_string().c_str());
    }

    uint16_t error_estimate() {
        int64_t now = clock_.steady_ms();
        if (!status_read_ || now - status_ms_ >= kClockStatusRefreshMs) {
            status_ = clock_.status();
            estimate_ = stamp::error_estimate(status_, format_);
            status_ms_ = now;
            status_read_ = true;
        }
        return estimate_;
    }

    StampClock clock_;
    stamp::AuthMode auth_;
    stamp::TimestampFormat format_;
    bool stateful_;
    bool reflect_dscp_;
    size_t capacity_;
    int64_t idle_ms_;
    TxTimestamping timestamping_;
    std::vector<uint8_t> key_;
    stamp::FollowUpTable follow_ups_;
    std::string name_;  // the instance's, for the log
    // Until attach(): the service's own (unit tests, fuzzers).
    StampStats own_stats_;
    StampSessions own_sessions_;
    StampStats* stats_ = &own_stats_;
    StampSessions* sessions_ = &own_sessions_;
    bool status_read_ = false;
    int64_t status_ms_ = 0;
    uint16_t estimate_ = 0;
    stamp::ClockStatus status_;
};

}  // namespace

std::unique_ptr<Service> make_stamp_service(const InstanceConfig& config, StampClock clock) {
    return std::make_unique<StampService>(config.name, own_settings<StampSettings>(config), clock);
}

}  // namespace smalld
