// SPDX-License-Identifier: BSD-2-Clause
// How the reflector's timestamps were taken, without sockets: the Timestamp
// Information and Follow-Up Telemetry TLVs (RFC 8972 4.3, 4.7) round-trip
// through the reflector's pass and decode; the reflector reports a
// session's previous reply (its sequence number, the kernel's transmit time
// handed back by ticket) and never another session's; and the HMAC made
// from a keyed state once per key equals OpenSSL's one-shot HMAC, whatever
// the number of keys.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>
#include <string>
#include <vector>

#include "config.h"
#include "endpoint.h"
#include "instance.h"
#include "services.h"
#include "stamp_hmac.h"
#include "stamp_packet.h"
#include "stamp_timestamps.h"
#include "stamp_tlv.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;
using namespace smalld::stamp;

namespace {

constexpr size_t kTlvs =
    kTlvHeader + kFollowUpTelemetryLength + kTlvHeader + kTimestampInformationLength;

// A base packet, then the two requests as smallprobe sends them.
std::vector<uint8_t> request(uint32_t seq, uint16_t ssid) {
    std::vector<uint8_t> p(kBaseSize + kTlvs, 0);
    store32(p.data(), seq);
    store16(p.data() + kUnauthenticated.ssid, ssid);
    put_follow_up_telemetry({p.data() + kBaseSize, 20});
    put_timestamp_information({p.data() + kBaseSize + 20, 8});
    return p;
}

ClockStatus unsynchronised() {
    return {false, 16'000'000'000};
}

}  // namespace

static void tlvs_round_trip(void**) {
    std::vector<uint8_t> area(kTlvs);
    put_follow_up_telemetry({area.data(), 20});
    put_timestamp_information({area.data() + 20, 8});
    // A sender's request decodes as "nothing known".
    FollowUpTelemetry f;
    TimestampInformation i;
    assert_true(find_follow_up_telemetry(area, f));
    assert_int_equal(f.timestamp, 0);
    assert_true(find_timestamp_information(area, i));
    assert_true(i.sync_in == SyncSource::Unknown);
    // No facts (a reflector that cannot tell): left as sent.
    std::vector<uint8_t> sent = area;
    reflect_tlvs(area, ReflectContext{});
    assert_true(area == sent);
    TimestampFacts facts;
    facts.information = {SyncSource::Ntp, TimestampMethod::Hardware, SyncSource::FreeRunning,
                         TimestampMethod::Software};
    facts.previous_known = true;
    facts.previous = {41, 0x1122334455667788ULL, TimestampMethod::Software};
    ReflectContext ctx;
    ctx.timestamps = &facts;
    reflect_tlvs(area, ctx);
    assert_true(find_follow_up_telemetry(area, f));
    assert_int_equal(f.sequence, 41);
    assert_int_equal(f.timestamp, 0x1122334455667788ULL);
    assert_true(f.method == TimestampMethod::Software);
    assert_true(find_timestamp_information(area, i));
    assert_true(i.sync_in == SyncSource::Ntp && i.method_in == TimestampMethod::Hardware);
    assert_true(i.sync_out == SyncSource::FreeRunning && i.method_out == TimestampMethod::Software);
    // On the wire: RFC 8972's layout, flags clear.
    const uint8_t follow_up[] = {0,    7,    0,    16,   0,    0,    0, 41, 0x11, 0x22,
                                 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 2, 0,  0,    0};
    assert_memory_equal(area.data(), follow_up, sizeof follow_up);
    const uint8_t info[] = {0, 3, 0, 4, 1, 1, 5, 2};
    assert_memory_equal(area.data() + 20, info, sizeof info);
    // The wrong length: M set, the value untouched, and not decoded.
    std::vector<uint8_t> bad = {0, 3, 0, 3, 9, 9, 9, 0, 7, 0, 2, 8, 8};
    reflect_tlvs(bad, ctx);
    assert_int_equal(bad[0], kTlvMalformed);
    assert_int_equal(bad[4], 9);
    assert_int_equal(bad[7], kTlvMalformed);
    assert_int_equal(bad[11], 8);
    assert_false(find_timestamp_information(bad, i));
    assert_false(find_follow_up_telemetry(bad, f));
}

static void reflector_reports_the_previous_reply(void**) {
    InstanceConfig config;
    own_settings<StampSettings>(config).stateful = true;
    StampClock clock;
    clock.status = unsynchronised;
    auto service = make_stamp_service(config, clock);
    assert_true(service->tx_timestamping() == TxTimestamping::Auto);
    SockAddr peer = at("192.0.2.1:40000");
    struct Reply {
        FollowUpTelemetry previous;
        TimestampInformation info;
        uint32_t sequence;
        uint64_t ticket;
    };
    auto send = [&](uint32_t seq, uint16_t ssid) {
        std::vector<uint8_t> p = request(seq, ssid);
        Datagram d;
        d.payload = p;
        d.peer = &peer;
        d.received = wall_now();
        d.kernel_timestamp = true;
        std::vector<uint8_t> out(1500);
        ptrdiff_t n = service->datagram(d, out);
        assert_int_equal(n, p.size());
        out.resize(size_t(n));
        service->seal(out, d.seal);
        Reply r{};
        std::span<const uint8_t> area{out.data() + kBaseSize, kTlvs};
        assert_true(find_follow_up_telemetry(area, r.previous));
        assert_true(find_timestamp_information(area, r.info));
        r.sequence = load32(out.data());
        r.ticket = d.tx_ticket;
        assert_true(r.ticket != 0);
        return r;
    };
    // The session's first reply: no previous one, all zeros.
    Reply first = send(100, 7);
    assert_int_equal(first.previous.sequence, 0);
    assert_int_equal(first.previous.timestamp, 0);
    assert_true(first.previous.method == TimestampMethod::Unknown);
    assert_true(first.info.sync_in == SyncSource::FreeRunning);
    assert_true(first.info.method_in == TimestampMethod::Software);
    assert_true(first.info.method_out == TimestampMethod::Software);
    // No transmit time came for it: its sequence number, time unknown.
    Reply second = send(101, 7);
    assert_int_equal(second.previous.sequence, first.sequence);
    assert_int_equal(second.previous.timestamp, 0);
    assert_true(second.previous.method == TimestampMethod::Unknown);
    // The kernel's report for the second: the third reply carries it.
    WallTime departed = wall_now();
    int64_t ns = departed.unix_seconds * 1'000'000'000 + departed.nanos;
    service->transmitted(second.ticket, TxTimestamp{0, ns, false});
    // A stale ticket (the first reply's slot was reused since) changes nothing.
    service->transmitted(first.ticket, TxTimestamp{0, ns + 999, true});
    Reply third = send(102, 7);
    assert_int_equal(third.previous.sequence, second.sequence);
    assert_true(third.previous.method == TimestampMethod::Software);
    WallTime back = decode_timestamp(third.previous.timestamp, TimestampFormat::Ntp);
    assert_int_equal(back.unix_seconds, departed.unix_seconds);
    assert_true(back.nanos + 1 >= departed.nanos && back.nanos <= departed.nanos + 1);
    // Another session (another SSID) is told nothing of this one.
    Reply other = send(500, 8);
    assert_int_equal(other.previous.timestamp, 0);
    assert_int_equal(other.previous.sequence, 0);
}

static void keyed_hmac_equals_one_shot(void**) {
    std::vector<uint8_t> data(96);
    for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7);
    // More keys than are remembered, each used twice, in turn.
    for (int round = 0; round < 2; ++round)
        for (int k = 0; k < 6; ++k) {
            // Lengths 4 to 70: one past SHA-256's 64-byte block (hashed first).
            std::string key = "key-" + std::string(size_t(k) * 13, char('a' + k));
            std::vector<uint8_t> key_bytes(key.begin(), key.end());
            uint8_t keyed[kSha256Size], one_shot[EVP_MAX_MD_SIZE];
            unsigned length = 0;
            hmac_sha256(key_bytes, data, keyed);
            HMAC(EVP_sha256(), key.data(), int(key.size()), data.data(), data.size(), one_shot,
                 &length);
            assert_int_equal(length, kSha256Size);
            assert_memory_equal(keyed, one_shot, kSha256Size);
            data[0] ^= uint8_t(k);  // another packet
        }
}

int main() {
    return run_test_group({cmocka_unit_test(tlvs_round_trip),
                           cmocka_unit_test(reflector_reports_the_previous_reply),
                           cmocka_unit_test(keyed_hmac_equals_one_shot)});
}
