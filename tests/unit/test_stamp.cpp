// SPDX-License-Identifier: BSD-2-Clause
// The STAMP reflector without sockets: the packet formats (RFC 8762 4.2/4.3,
// RFC 8972 SSID), timestamps, the Error Estimate, authentication, the
// stateful session table and the key_file rules, with injected clocks.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "config.h"
#include "endpoint.h"
#include "instance.h"
#include "services.h"
#include "stamp_packet.h"
#include "stamp_sessions.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;
using namespace smalld::stamp;

namespace {

WallTime g_wall = {1'800'000'000, 500'000'000};
ClockStatus g_status = {true, 2'000'000};  // synchronised, 2 ms
int64_t g_steady = 1'000'000;

StampClock test_clock() {
    StampClock c;
    c.wall = [] { return g_wall; };
    c.status = [] { return g_status; };
    c.steady_ms = [] { return g_steady; };
    return c;
}

struct Reflected {
    ptrdiff_t n;
    std::vector<uint8_t> reply;
};

// One request through the service, sealed as the listener would.
Reflected reflect(Service& service, const std::vector<uint8_t>& request, const SockAddr& peer,
                  WallTime received, int ttl = 64, size_t cap = 65507) {
    Datagram d;
    d.payload = request;
    d.peer = &peer;
    d.received = received;
    d.kernel_timestamp = true;
    d.ttl = ttl;
    std::vector<uint8_t> out(cap);
    ptrdiff_t n = service.datagram(d, out);
    if (n >= 0) {
        out.resize(size_t(n));
        if (d.seal) service.seal(out, d.seal);
    }
    return {n, out};
}

std::vector<uint8_t> sender_packet(size_t size, uint32_t seq, uint64_t ts, uint16_t err,
                                   uint16_t ssid, bool authenticated = false) {
    std::vector<uint8_t> p(size, 0);
    const Layout& at = authenticated ? kAuthenticated : kUnauthenticated;
    store32(p.data(), seq);
    if (size >= at.timestamp + 8) store64(p.data() + at.timestamp, ts);
    if (size >= at.error_estimate + 2) store16(p.data() + at.error_estimate, err);
    if (size >= at.ssid + 2) store16(p.data() + at.ssid, ssid);
    return p;
}

}  // namespace

static void timestamps(void**) {
    // 2027-01-15T08:00:00.5Z: NTP seconds count from 1900, the fraction is 2^31.
    WallTime t{1'800'000'000, 500'000'000};
    uint64_t ntp = encode_timestamp(t, TimestampFormat::Ntp);
    assert_int_equal(ntp >> 32, 1'800'000'000ULL + 2'208'988'800ULL);
    assert_int_equal(ntp & 0xffffffff, 0x80000000ULL);
    uint64_t ptp = encode_timestamp(t, TimestampFormat::Ptp);
    assert_int_equal(ptp >> 32, 1'800'000'000ULL);
    assert_int_equal(ptp & 0xffffffff, 500'000'000ULL);
    for (uint32_t nanos : {0u, 1u, 999u, 123'456'789u, 999'999'999u}) {
        WallTime w{1'700'000'000, nanos};
        for (auto f : {TimestampFormat::Ntp, TimestampFormat::Ptp}) {
            WallTime back = decode_timestamp(encode_timestamp(w, f), f);
            assert_int_equal(back.unix_seconds, w.unix_seconds);
            assert_int_equal(back.nanos, w.nanos);
        }
    }
    // After the NTP era rolls over in 2036.
    WallTime late{2'100'000'000, 0};
    assert_int_equal(
        decode_timestamp(encode_timestamp(late, TimestampFormat::Ntp), TimestampFormat::Ntp)
            .unix_seconds,
        2'100'000'000);
}

static void error_estimate_follows_the_clock(void**) {
    uint16_t synced = error_estimate({true, 2'000'000}, TimestampFormat::Ntp);
    assert_true(synced & 0x8000);      // S
    assert_false(synced & 0x4000);     // Z: NTP
    assert_true((synced & 0xff) > 0);  // multiplier never 0
    double seconds = error_estimate_seconds(synced);
    assert_true(seconds >= 0.002 && seconds < 0.002 * 1.01);  // never understated
    uint16_t unsynced = error_estimate({false, 16'000'000'000ULL}, TimestampFormat::Ptp);
    assert_false(unsynced & 0x8000);
    assert_true(unsynced & 0x4000);  // Z: PTP
    assert_true(error_estimate_seconds(unsynced) >= 16.0);
    // Different errors, different fields: not a constant.
    assert_true(error_estimate({true, 1'000}, TimestampFormat::Ntp) !=
                error_estimate({true, 1'000'000}, TimestampFormat::Ntp));
    uint16_t zero = error_estimate({true, 0}, TimestampFormat::Ntp);
    assert_int_equal(zero & 0xff, 1);
}

static void classify_by_size_and_key(void**) {
    const std::vector<uint8_t> key = {'s', 'e', 'c', 'r', 'e', 't'};
    std::vector<uint8_t> p(13, 0);
    assert_int_equal(classify(p, AuthMode::None, {}).verdict, Verdict::Malformed);
    p.resize(14);  // TWAMP-Light's shortest packet: the base reply
    Classified c = classify(p, AuthMode::None, {});
    assert_int_equal(c.verdict, Verdict::Reply);
    assert_int_equal(c.reply_size, kBaseSize);
    p.resize(1000);  // symmetric size
    assert_int_equal(classify(p, AuthMode::None, {}).reply_size, 1000);
    // Authenticated: a valid HMAC over the first 96 bytes.
    std::vector<uint8_t> a = sender_packet(112, 7, 1, 2, 3, true);
    hmac16(key, {a.data(), kHmacOffset}, a.data() + kHmacOffset);
    c = classify(a, AuthMode::Required, key);
    assert_int_equal(c.verdict, Verdict::Reply);
    assert_true(c.authenticated);
    assert_int_equal(c.reply_size, kAuthBaseSize);
    assert_true(classify(a, AuthMode::Optional, key).authenticated);
    const std::vector<uint8_t> wrong = {'w', 'r', 'o', 'n', 'g'};
    assert_int_equal(classify(a, AuthMode::Required, wrong).verdict, Verdict::AuthFailure);
    a[kHmacOffset] ^= 1;  // tampered: the HMAC no longer matches
    assert_int_equal(classify(a, AuthMode::Required, key).verdict, Verdict::AuthFailure);
    c = classify(a, AuthMode::Optional, key);  // answered, unauthenticated
    assert_int_equal(c.verdict, Verdict::Reply);
    assert_false(c.authenticated);
    std::vector<uint8_t> short_one(44, 0);
    assert_int_equal(classify(short_one, AuthMode::Required, key).verdict, Verdict::AuthFailure);
    short_one.resize(10);
    assert_int_equal(classify(short_one, AuthMode::Required, key).verdict, Verdict::Malformed);
}

static void unauthenticated_reply_field_by_field(void**) {
    InstanceConfig config;
    config.type = ServiceType::Stamp;
    auto service = make_stamp_service(config, test_clock());
    SockAddr peer = at("192.0.2.1:40000");
    auto request = sender_packet(44 + 20, 0x01020304, 0x1122334455667788ULL, 0x8101, 0xabcd);
    // An RFC 8972 TLV the reflector does not fill (Extra Padding): returned
    // unchanged (a malformed one gets M, an unknown type U: test_stamp_tlv).
    for (size_t i = 44; i < request.size(); ++i) request[i] = uint8_t(i * 7);
    request[44] = 0, request[45] = 1, request[46] = 0, request[47] = 16;
    WallTime t2{1'800'000'000, 400'000'000};
    g_wall = {1'800'000'000, 400'010'000};  // T3 = T2 + 10 us
    Reflected r = reflect(*service, request, peer, t2, 61);
    assert_int_equal(r.n, 64);
    const uint8_t* p = r.reply.data();
    assert_int_equal(load32(p), 0x01020304);  // stateless: the sender's
    assert_int_equal(load64(p + 4), encode_timestamp(g_wall, TimestampFormat::Ntp));  // T3
    uint16_t err = load16(p + 12);
    assert_true(err & 0x8000);
    assert_int_equal(err, error_estimate(g_status, TimestampFormat::Ntp));
    assert_int_equal(load16(p + 14), 0xabcd);                                      // SSID
    assert_int_equal(load64(p + 16), encode_timestamp(t2, TimestampFormat::Ntp));  // T2
    assert_int_equal(load32(p + 24), 0x01020304);
    assert_int_equal(load64(p + 28), 0x1122334455667788ULL);
    assert_int_equal(load16(p + 36), 0x8101);
    assert_int_equal(load16(p + 38), 0);
    assert_int_equal(p[40], 61);  // Ses-Sender TTL
    assert_int_equal(p[41] | p[42] | p[43], 0);
    assert_memory_equal(p + 44, request.data() + 44, 20);
}

static void short_request_gets_the_base_packet(void**) {
    InstanceConfig config;
    own_settings<StampSettings>(config).timestamp = StampTimestamp::Ptp;
    auto service = make_stamp_service(config, test_clock());
    SockAddr peer = at("192.0.2.1:40000");
    auto request = sender_packet(14, 9, 0x0102030405060708ULL, 0x0001, 0);
    Reflected r = reflect(*service, request, peer, {1'800'000'000, 1}, -1);
    assert_int_equal(r.n, 44);
    assert_int_equal(load32(r.reply.data() + 24), 9);
    assert_int_equal(load64(r.reply.data() + 28), 0x0102030405060708ULL);
    assert_true(load16(r.reply.data() + 12) & 0x4000);  // Z: PTP
    assert_int_equal(load64(r.reply.data() + 16), (1'800'000'000ULL << 32) | 1);
    assert_int_equal(r.reply[40], 0);  // TTL unknown
    request.resize(13);
    assert_int_equal(reflect(*service, request, peer, {}).n, kNoReply);
    // The cap: a reply larger than the cap is refused, never cut.
    request = sender_packet(200, 1, 0, 0, 0);
    assert_int_equal(reflect(*service, request, peer, {}, 64, 100).n, kReplyTooLarge);
}

static void authenticated_reply(void**) {
    InstanceConfig config;
    auto& settings = own_settings<StampSettings>(config);
    settings.auth = StampAuth::Required;
    settings.key = "0123456789abcdef";
    std::vector<uint8_t> key(settings.key.begin(), settings.key.end());
    auto service = make_stamp_service(config, test_clock());
    SockAddr peer = at("[2001:db8::1]:50000");
    auto request = sender_packet(112 + 8, 42, 0xdeadbeef00000001ULL, 0x8002, 0x0102, true);
    hmac16(key, {request.data(), kHmacOffset}, request.data() + kHmacOffset);
    std::memcpy(request.data() + 112, "TLVbytes", 8);
    Reflected r = reflect(*service, request, peer, {1'800'000'000, 0}, 255);
    assert_int_equal(r.n, 120);
    const uint8_t* p = r.reply.data();
    assert_int_equal(load32(p), 42);
    assert_int_equal(load16(p + 26), 0x0102);
    assert_int_equal(load32(p + 48), 42);
    assert_int_equal(load64(p + 64), 0xdeadbeef00000001ULL);
    assert_int_equal(load16(p + 72), 0x8002);
    assert_int_equal(p[80], 255);
    assert_true(hmac_matches(key, r.reply));
    assert_memory_equal(p + 112, "TLVbytes", 8);
    // The wrong key: no reply.
    request[kHmacOffset] ^= 0xff;
    assert_int_equal(reflect(*service, request, peer, {}).n, kNoReply);
}

static void stateful_counts_per_session(void**) {
    InstanceConfig config;
    auto& settings = own_settings<StampSettings>(config);
    settings.stateful = true;
    settings.sessions = 2;
    settings.session_timeout = Duration(10'000);
    auto service = make_stamp_service(config, test_clock());
    InstanceStats stats;
    stats.type = ServiceType::Stamp;
    InstanceState state;
    service->attach(stats, state);
    SockAddr a = at("192.0.2.1:40000"), b = at("192.0.2.1:40001");
    auto seq_of = [&](const SockAddr& peer, uint16_t ssid) {
        Reflected r = reflect(*service, sender_packet(44, 1000, 0, 0, ssid), peer, {});
        return load32(r.reply.data());
    };
    assert_int_equal(seq_of(a, 1), 0);
    assert_int_equal(seq_of(a, 1), 1);
    assert_int_equal(seq_of(a, 2), 0);  // another SSID: another session
    assert_int_equal(seq_of(a, 1), 2);
    assert_int_equal(service->sessions_kept(), 2);
    assert_int_equal(seq_of(b, 1), 0);  // full: (a, 2) was seen least recently
    assert_int_equal(stats.stamp.sessions_evicted, 1);
    assert_int_equal(seq_of(a, 1), 3);
    assert_int_equal(seq_of(a, 2), 0);
    g_steady += 10'001;  // idle past the timeout
    assert_int_equal(seq_of(b, 1), 0);
    assert_int_equal(stats.stamp.sessions_expired, 2);
    assert_int_equal(service->sessions_kept(), 1);
    assert_int_equal(stats.stamp.reflected, 8);
    // The table outlives the service (a reload builds a new one).
    auto again = make_stamp_service(config, test_clock());
    again->attach(stats, state);
    Reflected r = reflect(*again, sender_packet(44, 0, 0, 0, 1), b, {});
    assert_int_equal(load32(r.reply.data()), 1);
}

static void counters_and_processing_time(void**) {
    InstanceConfig config;
    own_settings<StampSettings>(config).auth = StampAuth::Required;
    own_settings<StampSettings>(config).key = "k";
    auto service = make_stamp_service(config, test_clock());
    InstanceStats stats;
    InstanceState state;
    service->attach(stats, state);
    SockAddr peer = at("192.0.2.1:40000");
    reflect(*service, std::vector<uint8_t>(5, 0), peer, {});
    reflect(*service, std::vector<uint8_t>(112, 0), peer, {});
    assert_int_equal(stats.stamp.malformed, 1);
    assert_int_equal(stats.stamp.auth_failures, 1);
    assert_int_equal(stats.stamp.reflected, 0);
    std::vector<uint8_t> key = {'k'};
    auto request = sender_packet(112, 1, 0, 0, 0, true);
    hmac16(key, {request.data(), kHmacOffset}, request.data() + kHmacOffset);
    g_wall = {1'800'000'000, 3'000};
    reflect(*service, request, peer, {1'800'000'000, 0});  // T3 - T2 = 3 us
    assert_int_equal(stats.stamp.reflected, 1);
    assert_int_equal(stats.stamp.processing_count, 1);
    assert_int_equal(stats.stamp.processing[2], 1);  // (2 us, 5 us]
    assert_true(stats.stamp.processing_sum_ns >= 2'999 && stats.stamp.processing_sum_ns <= 3'001);
}

static void key_file_must_be_private(void**) {
    char dir[] = "/tmp/smalld-stamp-key.XXXXXX";
    assert_non_null(mkdtemp(dir));
    std::string path = std::string(dir) + "/key";
    std::ofstream(path) << "s3cret\n";
    std::string ini = "[stamp]\nudp = 127.0.0.1:0\nauth = required\nkey_file = " + path + "\n";
    chmod(path.c_str(), 0644);
    ConfigResult bad = parse_config(ini, "t.ini");
    assert_false(bad.ok());
    bool reported = false;
    for (const auto& e : bad.errors)
        reported |= e.to_string().find("t.ini:4: key_file: \"" + path + "\" has mode 0644") == 0;
    assert_true(reported);
    chmod(path.c_str(), 0600);
    ConfigResult good = parse_config(ini, "t.ini");
    assert_true(good.ok());
    assert_str_eq(own_settings<StampSettings>(good.config->instances[0]).key,
                  "s3cret");  // final newline removed
    assert_true(good.config->instances[0].tcp.empty());
    unlink(path.c_str());
    rmdir(dir);
    // A stamp instance without listeners serves UDP only, on port 862.
    ConfigResult defaults = parse_config("[stamp]\n", "t.ini");
    assert_true(defaults.ok());
    assert_true(defaults.config->instances[0].tcp.empty());
    assert_int_equal(defaults.config->instances[0].udp.size(), 2);
    assert_int_equal(defaults.config->instances[0].udp[0].port(), 862);
}

int main() {
    return run_test_group(
        {cmocka_unit_test(timestamps), cmocka_unit_test(error_estimate_follows_the_clock),
         cmocka_unit_test(classify_by_size_and_key),
         cmocka_unit_test(unauthenticated_reply_field_by_field),
         cmocka_unit_test(short_request_gets_the_base_packet),
         cmocka_unit_test(authenticated_reply), cmocka_unit_test(stateful_counts_per_session),
         cmocka_unit_test(counters_and_processing_time),
         cmocka_unit_test(key_file_must_be_private)});
}
