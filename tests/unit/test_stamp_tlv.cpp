// SPDX-License-Identifier: BSD-2-Clause
// RFC 8972 TLVs without sockets: the walker's bounds, the reflector's pass
// (Direct Measurement counters filled, M set on malformed TLVs, U on types
// it does not know, Location, Class of Service, Access Report and the HMAC
// TLV as RFC 8972 says), a stateful session counting the packets it
// received and dropped, and the reply's DSCP and TTL the service asks for.
#include <cstring>
#include <string>
#include <vector>

#include "config.h"
#include "endpoint.h"
#include "instance.h"
#include "services.h"
#include "stamp_packet.h"
#include "stamp_tlv.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;
using namespace smalld::stamp;

namespace {

std::vector<Tlv> walk(const std::vector<uint8_t>& area, size_t* end) {
    std::vector<Tlv> seen;
    *end = walk_tlvs(area, [&](const Tlv& t) { seen.push_back(t); });
    return seen;
}

// A request of the base size, then a Direct Measurement TLV with S_TX.
std::vector<uint8_t> dm_request(uint32_t seq, uint16_t ssid, bool authenticated) {
    const Layout& at = authenticated ? kAuthenticated : kUnauthenticated;
    std::vector<uint8_t> p(at.base + 16, 0);
    store32(p.data(), seq);
    store16(p.data() + at.ssid, ssid);
    put_direct_measurement({p.data() + at.base, 16}, seq + 1);
    return p;
}

}  // namespace

static void walker_stays_in_bounds(void**) {
    size_t end = 0;
    // Two TLVs, then a 3-byte tail that is not a TLV.
    std::vector<uint8_t> area = {0, 1, 0, 2, 0xaa, 0xbb, 0x80, 9, 0, 0, 1, 2, 3};
    auto seen = walk(area, &end);
    assert_int_equal(seen.size(), 2);
    assert_int_equal(seen[0].type, 1);
    assert_int_equal(seen[0].length, 2);
    assert_int_equal(seen[1].at, 6);
    assert_int_equal(seen[1].flags, 0x80);
    assert_int_equal(end, area.size());
    // A length past the end: the walk stops at that header.
    area = {0, 5, 0, 12, 1, 2, 3};
    assert_int_equal(walk(area, &end).size(), 0);
    assert_int_equal(end, 0);
    assert_int_equal(walk({}, &end).size(), 0);
    assert_int_equal(end, 0);
    // Every length of a 0xff area: never a read past it.
    std::vector<uint8_t> ff(70, 0xff);
    for (size_t n = 0; n <= ff.size(); ++n) {
        std::vector<uint8_t> part(ff.begin(), ff.begin() + long(n));
        walk(part, &end);
        assert_true(end <= n);
    }
}

static void reflector_fills_counters_and_flags_malformed(void**) {
    std::vector<uint8_t> area(16 + 8 + 4);
    put_direct_measurement({area.data(), 16}, 7);
    // A Direct Measurement TLV of the wrong length, then one running past the end.
    uint8_t rest[] = {0, kTlvDirectMeasurement, 0, 4, 1, 2, 3, 4, 0, 1, 0, 9};
    std::memcpy(area.data() + 16, rest, sizeof rest);
    DirectMeasurement counters{0, 11, 10};
    reflect_tlvs(area, ReflectContext{&counters});
    DirectMeasurement got;
    assert_true(find_direct_measurement(area, got));
    assert_int_equal(got.sender_tx, 7);
    assert_int_equal(got.reflector_rx, 11);
    assert_int_equal(got.reflector_tx, 10);
    assert_int_equal(area[16], kTlvMalformed);           // wrong length
    assert_memory_equal(area.data() + 17, rest + 1, 7);  // its value untouched
    assert_int_equal(area[24], kTlvMalformed);           // runs past the end
    // Stateless: nothing to count, S_TX and zeros come back as sent.
    std::vector<uint8_t> plain(16);
    put_direct_measurement(plain, 3);
    std::vector<uint8_t> copy = plain;
    reflect_tlvs(plain, ReflectContext{});
    assert_true(plain == copy);
}

// R_RX counts the packets the session received, the dropped one too;
// R_TX the replies. The HMAC of an authenticated reply stays right: it
// covers the base packet, before the TLVs.
static void session_counts_what_it_dropped(void**) {
    for (bool authenticated : {false, true}) {
        InstanceConfig config;
        auto& settings = own_settings<StampSettings>(config);
        settings.stateful = true;
        if (authenticated) {
            settings.auth = StampAuth::Required;
            settings.key = "0123456789abcdef";
        }
        std::vector<uint8_t> key(settings.key.begin(), settings.key.end());
        auto service = make_stamp_service(config);
        SockAddr peer = at("192.0.2.1:40000");
        const Layout& at = authenticated ? kAuthenticated : kUnauthenticated;
        auto send = [&](uint32_t seq, bool dropped) {
            std::vector<uint8_t> p = dm_request(seq, 9, authenticated);
            if (authenticated) hmac16(key, {p.data(), kHmacOffset}, p.data() + kHmacOffset);
            Datagram d;
            d.payload = p;
            d.peer = &peer;
            d.received = wall_now();
            std::vector<uint8_t> out(1500);
            if (dropped) {
                service->note_dropped(d);
                return DirectMeasurement{};
            }
            ptrdiff_t n = service->datagram(d, out);
            assert_int_equal(n, p.size());
            out.resize(size_t(n));
            service->seal(out, d.seal);
            if (authenticated) assert_true(hmac_matches(key, out));
            DirectMeasurement got;
            assert_true(find_direct_measurement({out.data() + at.base, 16}, got));
            assert_int_equal(got.sender_tx, seq + 1);
            return got;
        };
        DirectMeasurement first = send(0, false);
        assert_int_equal(first.reflector_rx, 1);
        assert_int_equal(first.reflector_tx, 1);
        send(1, true);
        send(2, true);
        DirectMeasurement last = send(3, false);
        assert_int_equal(last.reflector_rx, 4);
        assert_int_equal(last.reflector_tx, 2);
    }
}

namespace {

std::vector<uint8_t> tlv(uint8_t type, std::vector<uint8_t> value, uint8_t flags = 0) {
    std::vector<uint8_t> t = {flags, type, uint8_t(value.size() >> 8), uint8_t(value.size())};
    t.insert(t.end(), value.begin(), value.end());
    return t;
}

std::vector<uint8_t> concat(std::initializer_list<std::vector<uint8_t>> parts) {
    std::vector<uint8_t> all;
    for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
    return all;
}

}  // namespace

// Every type RFC 8972 defines is recognised (no U), zero padding is left
// alone, and any other type comes back with U and its value as sent.
static void unknown_types_get_u(void**) {
    std::vector<uint8_t> area =
        concat({tlv(kTlvExtraPadding, std::vector<uint8_t>(9, 0x5a)),
                tlv(kTlvTimestampInformation, {1, 2, 3, 4}),
                tlv(kTlvFollowUpTelemetry, std::vector<uint8_t>(16, 7)),
                tlv(200, {'a', 'b', 'c', 'd'}), tlv(9, {}), std::vector<uint8_t>(8, 0)});
    std::vector<uint8_t> sent = area;
    reflect_tlvs(area, ReflectContext{});
    size_t unknown = 13 + 8 + 20;
    assert_int_equal(area[unknown], kTlvUnrecognized);
    assert_int_equal(area[unknown + 8], kTlvUnrecognized);  // type 9: not RFC 8972's
    area[unknown] = area[unknown + 8] = 0;
    assert_true(area == sent);  // every other byte as sent, the zero padding too
    for (unsigned type = 1; type <= 8; ++type) assert_true(is_rfc8972_type(uint8_t(type)));
    assert_false(is_rfc8972_type(0));
    assert_false(is_rfc8972_type(9));
}

// Location (RFC 8972 4.2): the ports and addresses the reflector saw; a MAC
// address it cannot know gets U; short or overrunning values get M.
static void location_reports_what_the_reflector_saw(void**) {
    const uint8_t source[4] = {192, 0, 2, 1}, destination[4] = {198, 51, 100, 7};
    ReflectContext ctx;
    ctx.source = {source, 40000};
    ctx.destination = {destination, 862};
    std::vector<uint8_t> subs =
        concat({tlv(kSubSourceIpv4, {0, 0, 0, 0}), tlv(kSubDestinationIpv4, {0, 0, 0, 0}),
                tlv(kSubSourceIp, std::vector<uint8_t>(16, 0)),
                tlv(kSubSourceMac, std::vector<uint8_t>(6, 0))});
    std::vector<uint8_t> value = {0, 0, 0, 0};
    value.insert(value.end(), subs.begin(), subs.end());
    std::vector<uint8_t> area = tlv(kTlvLocation, value);
    reflect_tlvs(area, ctx);
    assert_int_equal(area[0], 0);
    assert_int_equal(load16(area.data() + 4), 862);
    assert_int_equal(load16(area.data() + 6), 40000);
    assert_memory_equal(area.data() + 8 + 4, source, 4);
    assert_memory_equal(area.data() + 16 + 4, destination, 4);
    const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
    assert_memory_equal(area.data() + 24 + 4, mapped, 16);
    assert_int_equal(area[44], kTlvUnrecognized);  // the MAC sub-TLV
    std::vector<uint8_t> shorter = tlv(kTlvLocation, {0, 1});
    reflect_tlvs(shorter, ctx);
    assert_int_equal(shorter[0], kTlvMalformed);
    std::vector<uint8_t> overrun = tlv(kTlvLocation, {0, 0, 0, 0, 0, kSubSourceIpv4, 0, 9});
    reflect_tlvs(overrun, ctx);
    assert_int_equal(overrun[0], kTlvMalformed);
}

// Class of Service (RFC 8972 4.4): DSCP1/ECN1 decide the reply's TOS,
// DSCP2/ECN2 report what arrived, RP 0 (DSCP1 used).
static void class_of_service_sets_the_reply_tos(void**) {
    ReflectContext ctx;
    ctx.request_tos = 46 << 2 | 1;  // EF, ECT(1)
    std::vector<uint8_t> area(8);
    area[1] = kTlvClassOfService;
    area[3] = kClassOfServiceLength;
    write_class_of_service(area.data() + 4, {10, 2, 0, 0, 3});
    ReflectOutcome out = reflect_tlvs(area, ctx);
    assert_int_equal(out.reply_tos, 10 << 2 | 2);
    ClassOfService got = read_class_of_service(area.data() + 4);
    assert_int_equal(got.dscp1, 10);
    assert_int_equal(got.ecn1, 2);
    assert_int_equal(got.dscp2, 46);
    assert_int_equal(got.ecn2, 1);
    assert_int_equal(got.rp, 0);
    assert_int_equal(area[0], 0);
    std::vector<uint8_t> wrong = tlv(kTlvClassOfService, {0xb8, 0});
    assert_int_equal(reflect_tlvs(wrong, ctx).reply_tos, -1);
    assert_int_equal(wrong[0], kTlvMalformed);
    // Access Report (4.6): returned as sent; of the wrong length, M.
    std::vector<uint8_t> report = tlv(kTlvAccessReport, {0x20, 1, 0, 0});
    std::vector<uint8_t> sent = report;
    reflect_tlvs(report, ctx);
    assert_true(report == sent);
    std::vector<uint8_t> bad_report = tlv(kTlvAccessReport, {0x20, 1});
    reflect_tlvs(bad_report, ctx);
    assert_int_equal(bad_report[0], kTlvMalformed);
}

// The HMAC TLV (RFC 8972 4.8): checked over the request's sequence number
// and the TLVs before it; recomputed over the reply's; a wrong one sets I
// on every TLV; an unauthenticated reply leaves it as sent.
static void hmac_tlv_protects_the_tlvs(void**) {
    std::vector<uint8_t> key = {'k', 'e', 'y'};
    std::vector<uint8_t> area =
        concat({std::vector<uint8_t>(16), tlv(kTlvClassOfService, {0xb8, 0, 0, 0}),
                tlv(kTlvHmac, std::vector<uint8_t>(16))});
    put_direct_measurement({area.data(), 16}, 5);
    size_t hmac_at = 24;
    tlv_area_hmac(key, 77, {area.data(), hmac_at}, area.data() + hmac_at + 4);
    ReflectContext ctx;
    ctx.authenticated = true;
    ctx.key = key;
    ctx.request_sequence = 77;
    ctx.reply_sequence = 3;
    for (bool tampered : {false, true}) {
        std::vector<uint8_t> reply = area;
        if (tampered) reply[20] ^= 0x04;  // the CoS value changed on the way
        ReflectOutcome out = reflect_tlvs(reply, ctx);
        assert_int_equal(out.hmac_failed, tampered);
        uint8_t flags = tampered ? kTlvIntegrity : 0;
        assert_int_equal(reply[0], flags);
        assert_int_equal(reply[16], flags);
        assert_int_equal(reply[hmac_at], flags);
        uint8_t expected[16];
        tlv_area_hmac(key, 3, {reply.data(), hmac_at}, expected);
        assert_memory_equal(reply.data() + hmac_at + 4, expected, 16);
    }
    ctx.authenticated = false;
    std::vector<uint8_t> plain = area;
    assert_false(reflect_tlvs(plain, ctx).hmac_failed);
    assert_memory_equal(plain.data() + hmac_at, area.data() + hmac_at, 20);
    std::vector<uint8_t> short_hmac = tlv(kTlvHmac, {1, 2});
    reflect_tlvs(short_hmac, ctx);
    assert_int_equal(short_hmac[0], kTlvMalformed);
}

// The service asks for the reply's TTL (255) and TOS: the Class of Service
// TLV's, else the request's DSCP (reflect_dscp = yes, the default) without
// its ECN, else the socket's default.
static void service_sets_reply_tos_and_ttl(void**) {
    for (int reflect : {1, 0}) {
        InstanceConfig config;
        own_settings<StampSettings>(config).reflect_dscp = reflect;
        auto service = make_stamp_service(config);
        SockAddr peer = at("192.0.2.1:40000");
        for (bool cos : {false, true}) {
            std::vector<uint8_t> p(kBaseSize);
            if (cos) {
                std::vector<uint8_t> t = tlv(kTlvClassOfService, {10 << 2, 0, 0, 0});
                p.insert(p.end(), t.begin(), t.end());
            }
            Datagram d;
            d.payload = p;
            d.peer = &peer;
            d.received = wall_now();
            d.tos = 46 << 2 | 3;  // EF, CE
            std::vector<uint8_t> out(1500);
            assert_int_equal(service->datagram(d, out), p.size());
            assert_int_equal(d.reply_ttl, 255);
            assert_int_equal(d.reply_tos, cos ? 10 << 2 : reflect ? 46 << 2 : -1);
        }
    }
}

int main() {
    return run_test_group({cmocka_unit_test(walker_stays_in_bounds),
                           cmocka_unit_test(reflector_fills_counters_and_flags_malformed),
                           cmocka_unit_test(session_counts_what_it_dropped),
                           cmocka_unit_test(unknown_types_get_u),
                           cmocka_unit_test(location_reports_what_the_reflector_saw),
                           cmocka_unit_test(class_of_service_sets_the_reply_tos),
                           cmocka_unit_test(hmac_tlv_protects_the_tlvs),
                           cmocka_unit_test(service_sets_reply_tos_and_ttl)});
}
