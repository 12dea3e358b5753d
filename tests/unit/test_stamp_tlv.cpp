// SPDX-License-Identifier: BSD-2-Clause
// RFC 8972 TLVs without sockets: the walker's bounds, the reflector's pass
// (Direct Measurement counters filled, M set on malformed TLVs, every other
// byte as sent), and a stateful session counting the packets it received
// and dropped, unauthenticated and authenticated.
#include <cstring>
#include <string>
#include <vector>

#include "config.h"
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
        std::string error;
        SockAddr peer = *parse_endpoint("192.0.2.1:40000", &error);
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

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(walker_stays_in_bounds),
        cmocka_unit_test(reflector_fills_counters_and_flags_malformed),
        cmocka_unit_test(session_counts_what_it_dropped),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
