// SPDX-License-Identifier: BSD-2-Clause
// The stamp-sender's pure core without sockets, with injected times: each
// packet written and matched to its reply (SSID, port, sequence, echoed T1,
// size, HMAC), every drop reason, duplicates, reordering, loss after the
// timeout split by direction from a stateful reflector's counts (the
// reflector's own pure code answers), losses our own full socket may
// explain (of unknown direction), a reflector reset, the bounded ring,
// up/down, and the figures (histogram buckets, windowed quantiles, hops,
// the clock error, the size fit).
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "loss_split.h"
#include "peer_figures.h"
#include "sender_session.h"
#include "stamp_packet.h"
#include "stamp_tlv.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;
using namespace smalld::stamp;

namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kStart = 1'800'000'000 * kSecond;

// A stateful reflector of the RFC: counts each packet it receives and
// answers, numbers its replies, and answers with T2 = T1 + forward and
// T3 = T2 + 1 ms.
struct Reflector {
    uint32_t rx = 0, tx = 0, seq = 0;
    std::vector<uint8_t> key;
    std::vector<uint8_t> answer(std::span<const uint8_t> request, int64_t t2) {
        ++rx;
        ++tx;
        Classified c = classify(request, key.empty() ? AuthMode::None : AuthMode::Required, key);
        assert_int_equal(int(c.verdict), int(Verdict::Reply));
        std::vector<uint8_t> out(c.reply_size);
        ReflectorFields f;
        f.sequence = seq++;
        f.receive_timestamp =
            encode_timestamp({t2 / kSecond, uint32_t(t2 % kSecond)}, TimestampFormat::Ntp);
        f.sender_ttl = 250;  // five hops
        size_t n = build_reply(request, c, f, out);
        const Layout& at = c.authenticated ? kAuthenticated : kUnauthenticated;
        DirectMeasurement counts{0, rx, tx};
        ReflectContext ctx{&counts};
        reflect_tlvs(std::span<uint8_t>(out).subspan(at.base, n - at.base), ctx);
        int64_t t3 = t2 + 1'000'000;
        seal_reply({out.data(), n}, c.authenticated,
                   encode_timestamp({t3 / kSecond, uint32_t(t3 % kSecond)}, TimestampFormat::Ntp),
                   key);
        return out;
    }
};

SenderSettings settings(uint16_t ssid = 7) {
    SenderSettings s;
    s.ssid = ssid;
    s.interval_ns = kSecond;
    s.timeout_ns = 3 * kSecond;
    return s;
}

std::vector<uint8_t> send(SenderSession& session, int64_t t1, uint32_t size = 60) {
    std::vector<uint8_t> packet(1500);
    session.build(packet, size, t1);
    packet.resize(size);
    return packet;
}

ReplyOutcome take(SenderSession& session, const std::vector<uint8_t>& reply, int64_t t4,
                  ReplySample* sample = nullptr, bool port = true) {
    return session.take(reply, port, t4, sample);
}

void test_reply_matched_and_measured(void**) {
    SenderSession session(settings());
    Reflector r;
    auto packet = send(session, kStart);
    auto reply = r.answer(packet, kStart + 2'000'000);  // 2 ms forward
    ReplySample s;
    ReplyOutcome o = take(session, reply, kStart + 6'000'000, &s);
    assert_int_equal(o.kind, ReplyOutcome::Sample);
    assert_int_equal(s.t2 - s.t1, 2'000'000);
    assert_true(std::llabs(s.t3 - s.t2 - 1'000'000) < 1000);  // NTP fractions round
    assert_int_equal(s.t4 - s.t1, 6'000'000);
    assert_int_equal(s.forward_ttl, 250);
    assert_int_equal(session.sent(), 1);
    assert_int_equal(session.received(), 1);
    assert_true(session.up(kStart + kSecond));
    // The same reply again is a duplicate, never a second sample.
    assert_int_equal(take(session, reply, kStart + 7'000'000).kind, ReplyOutcome::Duplicate);
    assert_int_equal(session.duplicates(), 1);
    assert_int_equal(session.received(), 1);
}

// A packet the kernel refused is taken back: neither sent nor lost, and
// the next packet reuses its sequence number, so the reflector sees no gap.
void test_unsent_is_not_lost(void**) {
    SenderSession session(settings());
    Reflector r;
    auto first = send(session, kStart);
    std::vector<uint8_t> refused(1500);
    uint32_t seq = session.build(refused, 60, kStart + kSecond);
    assert_false(session.unsend(seq - 1));  // not the last one built
    assert_true(session.unsend(seq));
    assert_int_equal(session.sent(), 1);
    auto second = send(session, kStart + 2 * kSecond);
    assert_int_equal(load32(second.data()), seq);
    take(session, r.answer(first, kStart + 2'000'000), kStart + 3'000'000);
    take(session, r.answer(second, kStart + 2 * kSecond + 2'000'000),
         kStart + 2 * kSecond + 3'000'000);
    session.expire(kStart + 20 * kSecond);
    assert_int_equal(session.sent(), 2);
    assert_int_equal(session.received(), 2);
    assert_int_equal(session.loss().lost(), 0);
}

void test_every_drop_reason(void**) {
    SenderSession session(settings(7));
    Reflector r;
    auto expect = [&](const std::vector<uint8_t>& reply, ReplyDrop why, bool port = true) {
        ReplyOutcome o = take(session, reply, kStart + kSecond, nullptr, port);
        assert_int_equal(o.kind, ReplyOutcome::Dropped);
        assert_string_equal(to_string(o.drop), to_string(why));
    };
    auto packet = send(session, kStart);
    auto good = r.answer(packet, kStart + 1000);
    expect(std::vector<uint8_t>(good.begin(), good.begin() + 43), ReplyDrop::Truncated);
    expect(good, ReplyDrop::WrongPort, false);
    auto other = good;
    store16(other.data() + kUnauthenticated.ssid, 8);
    expect(other, ReplyDrop::WrongSsid);
    // Our own packet sent back unreflected is not a reply.
    expect(packet, ReplyDrop::Malformed);
    auto bad_tlv = good;
    bad_tlv[kUnauthenticated.base + 3] = 200;  // a TLV longer than the packet
    expect(bad_tlv, ReplyDrop::Malformed);
    auto ahead = good;
    store32(ahead.data() + kUnauthenticated.sender_sequence, 5);
    expect(ahead, ReplyDrop::TooFarAhead);
    auto forged = good;
    store64(forged.data() + kUnauthenticated.sender_timestamp, 12345);
    expect(forged, ReplyDrop::NeverSent);
    auto longer = good;
    longer.resize(good.size() + 4);
    expect(longer, ReplyDrop::Malformed);
    auto shorter = good;
    shorter.resize(good.size() - 4);  // still a whole TLV area: its tail
    expect(shorter, ReplyDrop::Truncated);
    assert_int_equal(session.received(), 0);
    assert_int_equal(take(session, good, kStart + kSecond).kind, ReplyOutcome::Sample);
    // Once settled (after the timeout), the same reply is a replay.
    session.expire(kStart + 10 * kSecond);
    expect(good, ReplyDrop::Replay);
    assert_int_equal(session.received(), 1);
    assert_int_equal(session.loss().lost(), 0);
}

void test_authenticated(void**) {
    std::vector<uint8_t> key = {'s', 'e', 'c', 'r', 'e', 't'};
    SenderSettings s = settings();
    s.key = key;
    SenderSession session(s);
    Reflector r;
    r.key = key;
    std::vector<uint8_t> full(1500);
    session.build(full, 44, kStart);  // raised to the authenticated base
    full.resize(kAuthBaseSize);
    assert_true(hmac_matches(key, full));
    auto reply = r.answer(full, kStart + 1000);
    auto tampered = reply;
    tampered[kAuthenticated.receive_timestamp] ^= 1;
    assert_int_equal(take(session, tampered, kStart + kSecond).drop, ReplyDrop::Auth);
    assert_int_equal(take(session, reply, kStart + kSecond).kind, ReplyOutcome::Sample);
}

// Fates as in smallprobe's test: '.' answered, 'f' lost forward, 'd'
// dropped by the reflector, 'b' lost backward, 'R' the reflector restarts;
// 'o' answered, and the reply dropped by our own full socket (the sender
// sees the kernel's drop count grow).
void run_fates(const char* fates, uint64_t forward, uint64_t dropped, uint64_t backward,
               uint64_t unknown, uint64_t resets) {
    SenderSession session(settings());
    Reflector r;
    int64_t t = kStart;
    for (const char* f = fates; *f; ++f, t += kSecond) {
        auto packet = send(session, t);
        if (*f == 'R') r = Reflector{};
        if (*f == 'f') continue;
        if (*f == 'd') {
            ++r.rx;
            continue;
        }
        auto reply = r.answer(packet, t + 1000);
        if (*f != 'b' && *f != 'o') take(session, reply, t + 2000);
        if (*f == 'o') session.receive_overflow();
        session.expire(t + 2000);
    }
    session.expire(t + 10 * kSecond);
    const LossSplit& l = session.loss();
    assert_int_equal(l.forward, forward);
    assert_int_equal(l.reflector, dropped);
    assert_int_equal(l.backward, backward);
    assert_int_equal(l.unknown, unknown);
    assert_int_equal(l.resets, resets);
    assert_false(session.up(t + 10 * kSecond));
}

void test_loss_split_by_direction(void**) {
    run_fates("..f..d..b..", 1, 1, 1, 0, 0);
    run_fates("ff..ffbb.d.bb", 2, 1, 2, 2 + 2, 0);  // lead and tail unknown
    run_fates("...f.R.b..", 1, 0, 1, 0, 1);
    run_fates("fffff", 0, 0, 0, 5, 0);  // never answered: down, unknown
    // A reply our own socket dropped is not the path's backward loss: lost
    // while the socket overflowed, a packet's direction is unknown; the
    // forward loss around it stays exact, and a packet settled before the
    // overflow keeps its direction.
    run_fates("..o..", 0, 0, 0, 1, 0);
    run_fates("..f.o..", 1, 0, 0, 1, 0);
    run_fates("..b....o..", 0, 0, 1, 1, 0);
    run_fates("..b.o..", 0, 0, 0, 2, 0);  // still due at the overflow: not known
}

// Packets too small to carry the Direct Measurement TLV (44 bytes): no
// reply brings the reflector's counts, so a loss is of unknown direction
// an up horizon (here the 3 s timeout) after it is settled, while the peer
// is up; never left uncounted.
void test_loss_without_counts(void**) {
    SenderSession session(settings());
    Reflector r;
    int64_t t = kStart;
    auto lost_by = [&](int64_t until) {
        for (; t < until; t += kSecond) {
            auto packet = send(session, t, 44);
            auto reply = r.answer(packet, t + 1000);
            if (t != kStart + 2 * kSecond) take(session, reply, t + 2000);
            session.expire(t + 2000);
        }
        return session.loss().lost();
    };
    // Packet 2 is lost; settled after its 3 s timeout (at 5 s), it waits
    // for a count up to 3 s more.
    assert_int_equal(lost_by(kStart + 8 * kSecond), 0);
    assert_int_equal(lost_by(kStart + 10 * kSecond), 1);
    assert_int_equal(session.loss().unknown, 1);
    assert_true(session.up(t));
    // Before settling a loss the sender catches up with its socket: asked
    // only when one is due, answered packets never ask.
    auto packet = send(session, t);
    assert_false(session.settles_a_loss(t + 3 * kSecond - 1));
    assert_true(session.settles_a_loss(t + 3 * kSecond));
    take(session, r.answer(packet, t + 1000), t + 2000);
    assert_false(session.settles_a_loss(t + 3 * kSecond));
}

void test_reordered_and_ring_bound(void**) {
    SenderSession session(settings());
    Reflector r;
    auto a = send(session, kStart), b = send(session, kStart + 1);
    auto ra = r.answer(a, kStart + 10), rb = r.answer(b, kStart + 11);
    assert_false(take(session, rb, kStart + 20).reordered);
    assert_true(take(session, ra, kStart + 21).reordered);
    assert_int_equal(session.reordered(), 1);
    // The ring is a timeout's worth of intervals: sending far more settles
    // the oldest, and memory stays what it was.
    size_t capacity = session.capacity();
    for (int i = 0; i < 10'000; ++i) send(session, kStart + 2 + i);
    assert_int_equal(session.capacity(), capacity);
    assert_int_equal(session.sent(), 10'002);
}

void test_figures(void**) {
    PeerFigures figures(60 * kSecond, 64);
    for (int i = 1; i <= 100; ++i) {
        ReplySample s;
        s.size = i % 2 ? 100 : 1100;
        s.t1 = kStart + i * kSecond;
        s.t2 = s.t1 + 1'000'000;  // 1 ms forward
        s.t3 = s.t2 + 100'000;
        // The network RTT grows 8 us a bit each way over 1,000 bytes more.
        int64_t serial = s.size == 1100 ? 16'000 : 0;
        s.t4 = s.t3 + 2'000'000 + i * 1000 + serial;
        s.forward_ttl = 253;
        s.reflector_error_s = 0.001;
        figures.add(s, false, 0.002, 251);
    }
    const DelayHistogram& h = figures.histogram(Delay::Forward);
    assert_int_equal(h.count, 100);
    assert_int_equal(h.buckets[6], 100);  // le 0.001
    assert_int_equal(figures.hops_forward(), 2);
    assert_int_equal(figures.hops_backward(), 4);
    assert_true(std::fabs(*figures.clock_error_s() - 0.003) < 1e-12);
    // The window holds the last 60 seconds: replies 40..100.
    int64_t now = kStart + 100 * kSecond + 3 * 1'000'000;
    auto p50 = figures.quantile(Delay::Backward, 0.5, now);
    assert_true(p50.has_value());
    assert_true(std::fabs(*p50 - (0.002 + 70e-6 + 8e-6)) < 1e-5);
    assert_false(figures.quantile(Delay::Rtt, 0.5, now + 3600 * kSecond).has_value());
    // 16 bits a byte over 16 us a 1,000 bytes: 1 Gbit/s.
    assert_true(std::fabs(*figures.bottleneck_bps() - 1e9) < 1e8);
    assert_true(std::fabs(*figures.propagation_s() - 0.003) < 2e-6);  // 3 ms, 1 us a reply more

    // The path changes: 5 ms more each way, and half the capacity. Within
    // two windows the estimates are the new path's, not the least ever seen.
    for (int i = 101; i <= 220; ++i) {
        ReplySample s;
        s.size = i % 2 ? 100 : 1100;
        s.t1 = kStart + i * kSecond;
        s.t2 = s.t1 + 6'000'000;
        s.t3 = s.t2 + 100'000;
        s.t4 = s.t3 + 7'000'000 + (s.size == 1100 ? 32'000 : 0);
        figures.add(s, false, 0.002, 251);
    }
    assert_true(std::fabs(*figures.propagation_s() - (0.013 - 32e-6 / 10)) < 1e-6);
    assert_true(std::fabs(*figures.bottleneck_bps() - 5e8) < 1e7);
}

}  // namespace

int main() {
    return run_test_group(
        {cmocka_unit_test(test_reply_matched_and_measured),
         cmocka_unit_test(test_every_drop_reason), cmocka_unit_test(test_unsent_is_not_lost),
         cmocka_unit_test(test_authenticated), cmocka_unit_test(test_loss_split_by_direction),
         cmocka_unit_test(test_loss_without_counts),
         cmocka_unit_test(test_reordered_and_ring_bound), cmocka_unit_test(test_figures)});
}
