// SPDX-License-Identifier: BSD-2-Clause
// The services' protocol logic, without sockets: chargen's pattern, the RFC 868
// clock and its 2036 wrap, daytime formats, qotd selection, UDP caps.
#include <cstring>
#include <set>
#include <string>

#include "config.h"
#include "services.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;

// One datagram of `in` received at `at`, its reply into `out`.
static ptrdiff_t udp(Service& service, std::span<const uint8_t> in, std::span<uint8_t> out,
                     WallTime at) {
    Datagram d;
    d.payload = in;
    d.received = at;
    return service.datagram(d, out);
}

static void chargen_pattern(void**) {
    std::string stream(3 * kChargenCycle + 100, '\0');
    chargen_fill(0, stream);
    for (size_t line = 0; line < 3 * 95 + 1; ++line) {
        const char* p = stream.data() + line * kChargenLineLength;
        for (size_t col = 0; col < 72; ++col) assert_int_equal(p[col], ' ' + (line + col) % 95);
        assert_int_equal(p[72], '\r');
        assert_int_equal(p[73], '\n');
    }
    assert_int_equal(stream[0], ' ');
    assert_memory_equal(stream.data() + kChargenLineLength, "!\"#$%", 5);
    // Continuing at any offset gives the same stream.
    for (uint64_t offset : {1ULL, 73ULL, 7029ULL, 7030ULL, 123457ULL}) {
        std::string part(500, '\0');
        chargen_fill(offset, part);
        std::string whole(offset + 500, '\0');
        chargen_fill(0, whole);
        assert_memory_equal(part.data(), whole.data() + offset, 500);
    }
}

static void chargen_datagram(void**) {
    auto service = make_chargen_service();
    uint8_t out[600];
    std::set<ptrdiff_t> lengths;
    for (int i = 0; i < 400; ++i) {
        ptrdiff_t n = udp(*service, {}, {out, 512}, {});
        assert_true(n >= 0 && n <= 512);
        for (ptrdiff_t k = 0; k < n; ++k)
            assert_true((out[k] >= 32 && out[k] < 127) || out[k] == '\r' || out[k] == '\n');
        lengths.insert(n);
        // The cap cuts the reply.
        assert_true(udp(*service, {}, {out, 32}, {}) <= 32);
    }
    assert_true(lengths.size() > 50);  // random lengths, not one fixed size
}

// The generator is injected: the same seed gives the same replies, so a test
// (or a replay) can fix them; another seed gives others.
static void random_injected(void**) {
    auto a = make_chargen_service(Random(42));
    auto b = make_chargen_service(Random(42));
    auto c = make_chargen_service(Random(43));
    uint8_t out_a[512], out_b[512], out_c[512];
    bool differs = false;
    for (int i = 0; i < 50; ++i) {
        ptrdiff_t n = udp(*a, {}, out_a, {});
        assert_int_equal(udp(*b, {}, out_b, {}), n);
        assert_memory_equal(out_a, out_b, size_t(n));
        differs |= udp(*c, {}, out_c, {}) != n;
    }
    assert_true(differs);
    InstanceConfig config;
    config.type = ServiceType::Qotd;
    auto q1 = make_qotd_service(config, Random(7));
    auto q2 = make_qotd_service(config, Random(7));
    for (int i = 0; i < 20; ++i) assert_str_eq(q1->message({}, {}), q2->message({}, {}));
}

static void time_rfc868(void**) {
    // 1970-01-01: 2208988800 seconds after 1900-01-01.
    assert_int_equal(rfc868_seconds(0), 2208988800u);
    // 2026-11-25 09:04:19 UTC = 1795597459 unix.
    assert_int_equal(rfc868_seconds(1795597459), 1795597459u + 2208988800u);
    // The last second before the wrap, 2036-02-07 06:28:15 UTC, and the wrap.
    assert_int_equal(rfc868_seconds(2085978495), 0xFFFFFFFFu);
    assert_int_equal(rfc868_seconds(2085978496), 0u);
    assert_int_equal(rfc868_seconds(2085978496 + 100), 100u);
    uint8_t b[4];
    rfc868_bytes(0, b);
    assert_memory_equal(b, "\x83\xaa\x7e\x80", 4);  // 2208988800 big-endian
}

static void time_service_offset(void**) {
    InstanceConfig config;
    config.type = ServiceType::Time;
    own_settings<TimeSettings>(config).offset =
        2085978496 - 1000;  // put the clock just past the wrap
    auto service = make_time_service(config);
    std::string msg = service->message({1000, 0}, {});
    assert_int_equal(msg.size(), 4);
    assert_memory_equal(msg.data(), "\0\0\0\0", 4);
    uint8_t out[32];
    assert_int_equal(udp(*service, {}, {out, 32}, {1001, 0}), 4);
    assert_memory_equal(out, "\0\0\0\1", 4);
}

static void daytime_formats(void**) {
    WallTime t{1795597459, 0};  // Wed Nov 25 09:04:19 2026 UTC
    assert_str_eq(format_daytime(t, DaytimeFormat::Ctime, false), "Wed Nov 25 09:04:19 2026\r\n");
    assert_str_eq(format_daytime(t, DaytimeFormat::Rfc3339, false), "2026-11-25T09:04:19Z\r\n");
    assert_str_eq(format_daytime(t, DaytimeFormat::Rfc822, false),
                  "Wed, 25 Nov 2026 09:04:19 +0000\r\n");
    // ctime pads single-digit days with a space, like ctime(3).
    assert_str_eq(format_daytime({1794042000, 0}, DaytimeFormat::Ctime, false),
                  "Sat Nov  7 09:00:00 2026\r\n");
    setenv("TZ", "CET-1", 1);
    tzset();
    assert_str_eq(format_daytime(t, DaytimeFormat::Rfc3339, true), "2026-11-25T10:04:19+01:00\r\n");
    assert_str_eq(format_daytime(t, DaytimeFormat::Ctime, true), "Wed Nov 25 10:04:19 2026\r\n");
    unsetenv("TZ");
    tzset();
}

static void daytime_udp_cap(void**) {
    InstanceConfig config;
    config.type = ServiceType::Daytime;
    own_settings<DaytimeSettings>(config).format = DaytimeFormat::Rfc822;
    auto service = make_daytime_service(config);
    uint8_t out[64];
    // 33 bytes do not fit a 32-byte cap: no truncated date, a counted drop.
    assert_int_equal(udp(*service, {}, {out, 32}, {1795597459, 0}), kReplyTooLarge);
    assert_int_equal(udp(*service, {}, {out, 64}, {1795597459, 0}), 33);
}

static void qotd_selection(void**) {
    std::vector<std::string> quotes = {"a\r\n", "bbbbbbbbbb\r\n", "cc\r\n"};
    std::set<std::string> seen;
    for (uint64_t r = 0; r < 30; ++r) seen.insert(*pick_quote(quotes, r));
    assert_int_equal(seen.size(), 3);
    // Only quotes that fit the cap are candidates.
    for (uint64_t r = 0; r < 30; ++r) assert_true(pick_quote(quotes, r, 5)->size() <= 5);
    assert_null(pick_quote(quotes, 0, 2));
    for (const auto& q : builtin_quotes()) {
        assert_true(q.size() <= kMaxQuoteLength);
        assert_true(q.size() >= 2 && q.substr(q.size() - 2) == "\r\n");
    }
    assert_non_null(pick_quote(builtin_quotes(), 7, 32));  // the default UDP cap is served
    InstanceConfig config;
    config.type = ServiceType::Qotd;
    own_settings<QotdSettings>(config).quotes = {"only this one\r\n"};
    auto service = make_qotd_service(config);
    assert_str_eq(service->message({}, {}), "only this one\r\n");
    uint8_t out[8];
    assert_int_equal(udp(*service, {}, {out, 8}, {}), kReplyTooLarge);
}

static void echo_and_discard(void**) {
    auto echo = make_echo_service();
    const uint8_t in[] = {0, 1, 2, 0, 255};
    uint8_t out[64];
    assert_int_equal(udp(*echo, {in, 5}, {out, 64}, {}), 5);
    assert_memory_equal(out, in, 5);
    assert_int_equal(udp(*echo, {in, 5}, {out, 4}, {}), kReplyTooLarge);
    assert_int_equal(udp(*echo, {}, {out, 32}, {}), 0);  // empty datagram, empty reply
    assert_int_equal(echo->stream_mode(), StreamMode::Echo);
    auto discard = make_discard_service();
    assert_int_equal(udp(*discard, {in, 5}, {out, 64}, {}), kNoReply);
    assert_int_equal(discard->stream_mode(), StreamMode::Discard);
}

static void status_truncates(void**) {
    auto status = make_status_service({}, [](bool) { return std::string(100, 'x'); });
    uint8_t out[40];
    assert_int_equal(udp(*status, {}, {out, 40}, {}), 40);
    assert_int_equal(status->message({}, {}).size(), 100);
}

int main() {
    return run_test_group({cmocka_unit_test(chargen_pattern), cmocka_unit_test(chargen_datagram),
                           cmocka_unit_test(random_injected), cmocka_unit_test(time_rfc868),
                           cmocka_unit_test(time_service_offset), cmocka_unit_test(daytime_formats),
                           cmocka_unit_test(daytime_udp_cap), cmocka_unit_test(qotd_selection),
                           cmocka_unit_test(echo_and_discard), cmocka_unit_test(status_truncates)});
}
