// SPDX-License-Identifier: BSD-2-Clause
// A STAMP reflector never reflects a reflected packet (RFC 8762 4.2: what a
// reflector fills in is MBZ in a sender packet), so two reflectors cannot
// answer each other: every reply of ours, whatever its layout, and the
// replies of other reflectors are refused as loops, while every kind of
// sender packet (STAMP, RFC 8972 TLVs, authenticated, TWAMP-Light, random
// padding) is still answered.
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "config.h"
#include "endpoint.h"
#include "services.h"
#include "stamp_packet.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;
using namespace smalld::stamp;

namespace {

const std::string kKey = "0123456789abcdef";

std::vector<uint8_t> sender(size_t size, uint32_t seq, bool authenticated = false) {
    std::vector<uint8_t> p(size, 0);
    const Layout& at = authenticated ? kAuthenticated : kUnauthenticated;
    store32(p.data(), seq);
    store64(p.data() + at.timestamp, encode_timestamp(wall_now(), TimestampFormat::Ntp));
    store16(p.data() + at.error_estimate, 0x8001);
    if (size >= at.ssid + 2) store16(p.data() + at.ssid, 0x4242);
    if (authenticated) {
        std::vector<uint8_t> key(kKey.begin(), kKey.end());
        hmac16(key, {p.data(), kHmacOffset}, p.data() + kHmacOffset);
    }
    return p;
}

// One datagram through a reflector: the sealed reply, or the code.
ptrdiff_t reflect(Service& service, const std::vector<uint8_t>& request,
                  std::vector<uint8_t>* reply = nullptr) {
    static const SockAddr peer = at("192.0.2.1:40000");
    Datagram d;
    d.payload = request;
    d.peer = &peer;
    d.received = wall_now();
    d.ttl = 64;
    std::vector<uint8_t> out(65507);
    ptrdiff_t n = service.datagram(d, out);
    if (n >= 0) {
        out.resize(size_t(n));
        service.seal(out, d.seal);
        if (reply) *reply = out;
    }
    return n;
}

std::unique_ptr<Service> reflector(StampAuth auth = StampAuth::None,
                                   StampTimestamp format = StampTimestamp::Ntp,
                                   bool stateful = false) {
    InstanceConfig config;
    config.type = ServiceType::Stamp;
    auto& settings = own_settings<StampSettings>(config);
    settings.auth = auth;
    settings.timestamp = format;
    settings.stateful = stateful;
    settings.key = kKey;
    return make_stamp_service(config);
}

}  // namespace

static void every_reply_of_ours_is_refused_by_a_reflector(void**) {
    struct Case {
        StampAuth auth;
        StampTimestamp format;
        bool stateful;
        size_t size;
        bool authenticated;
    };
    const Case cases[] = {
        {StampAuth::None, StampTimestamp::Ntp, false, 44, false},
        {StampAuth::None, StampTimestamp::Ptp, false, 44, false},
        {StampAuth::None, StampTimestamp::Ntp, true, 44, false},
        {StampAuth::None, StampTimestamp::Ntp, false, 14, false},    // TWAMP-Light
        {StampAuth::None, StampTimestamp::Ntp, false, 1000, false},  // padded
        {StampAuth::Required, StampTimestamp::Ntp, false, 112, true},
        {StampAuth::Optional, StampTimestamp::Ptp, true, 200, true},
        {StampAuth::Optional, StampTimestamp::Ntp, false, 112, false},
    };
    for (const Case& c : cases) {
        auto a = reflector(c.auth, c.format, c.stateful);
        auto b = reflector(c.auth, c.format, c.stateful);
        std::vector<uint8_t> reply;
        assert_true(reflect(*a, sender(c.size, 7, c.authenticated), &reply) > 0);
        // Back to the reflector that sent it, or to another one: no answer.
        assert_int_equal(reflect(*a, reply), kLoopReply);
        assert_int_equal(reflect(*b, reply), kLoopReply);
    }
}

static void an_authenticated_reply_is_refused_by_a_reflector_that_ignores_the_hmac(void**) {
    auto authenticated = reflector(StampAuth::Required);
    std::vector<uint8_t> reply;
    assert_true(reflect(*authenticated, sender(112, 9, true), &reply) > 0);
    assert_int_equal(reflect(*reflector(StampAuth::None), reply), kLoopReply);
    // And the other way: an unauthenticated reply to an authenticated one.
    assert_true(reflect(*reflector(), sender(112, 9), &reply) > 0);
    assert_int_equal(reflect(*reflector(StampAuth::Optional), reply), kLoopReply);
}

static void other_reflectors_replies_are_refused(void**) {
    auto b = reflector();
    uint64_t now = encode_timestamp(wall_now(), TimestampFormat::Ntp);
    // An RFC 5357 reflector of the older kind: 41 bytes, T3 equal to T2.
    std::vector<uint8_t> old(41, 0);
    store32(old.data(), 55);
    store64(old.data() + 4, now);
    store16(old.data() + 12, 1);
    store64(old.data() + 16, now);
    store32(old.data() + 24, 55);
    assert_int_equal(reflect(*b, old), kLoopReply);
    // One that fills its MBZ octets (random padding) but stamps T3 just after T2.
    std::vector<uint8_t> noisy(64, 0xa5);
    store64(noisy.data() + 4, now + 1000);
    store64(noisy.data() + 16, now);
    assert_int_equal(reflect(*b, noisy), kLoopReply);
    // One whose T3 is far from T2 (another clock) but whose MBZ octets are zero.
    std::vector<uint8_t> far(44, 0);
    store64(far.data() + 4, now + (uint64_t(3600) << 32));
    store64(far.data() + 16, now);
    far[40] = 64;
    assert_int_equal(reflect(*b, far), kLoopReply);
}

static void every_kind_of_sender_is_answered(void**) {
    auto plain = reflector();
    auto optional = reflector(StampAuth::Optional);
    std::vector<uint8_t> reply;
    for (size_t size : {size_t(14), size_t(24), size_t(41), size_t(44), size_t(112), size_t(1000)})
        assert_true(reflect(*plain, sender(size, 1)) > 0);
    // RFC 8972 TLVs past the base packet.
    auto tlv = sender(44 + 8, 2);
    const uint8_t tlv_bytes[] = {0, 1, 0, 4, 'a', 'b', 'c', 'd'};
    std::memcpy(tlv.data() + 44, tlv_bytes, sizeof tlv_bytes);
    assert_true(reflect(*plain, tlv) > 0);
    // Authenticated, and an authenticated packet with the wrong key, which
    // an optional reflector answers unauthenticated (its bytes 16..23 are
    // the sender's timestamp, yet it is no reflected packet).
    auto authenticated = sender(112, 3, true);
    assert_true(reflect(*optional, authenticated) > 0);
    assert_true(reflect(*plain, authenticated) > 0);
    authenticated[100] ^= 1;
    assert_int_equal(reflect(*optional, authenticated, &reply), 112);
    // TWAMP-Light senders may pad at random (RFC 4656 4.1.2): a million of
    // them, every one answered.
    std::mt19937_64 random(862);
    std::vector<uint8_t> padded(64);
    unsigned refused = 0;
    for (int i = 0; i < 1'000'000; ++i) {
        for (size_t k = 0; k < padded.size(); k += 8) {
            uint64_t r = random();
            std::memcpy(padded.data() + k, &r, 8);
        }
        refused += is_reflected(padded, false) || is_reflected(padded, true);
    }
    print_message("1000000 randomly padded sender packets: %u taken for reflected ones\n", refused);
    assert_int_equal(refused, 0);
}

int main() {
    return run_test_group(
        {cmocka_unit_test(every_reply_of_ours_is_refused_by_a_reflector),
         cmocka_unit_test(an_authenticated_reply_is_refused_by_a_reflector_that_ignores_the_hmac),
         cmocka_unit_test(other_reflectors_replies_are_refused),
         cmocka_unit_test(every_kind_of_sender_is_answered)});
}
