// SPDX-License-Identifier: BSD-2-Clause
// The byte checks: RFC 864 chargen verification in any chunking, UDP
// printability, and the echo pattern's properties the probe relies on.

#include <cstring>
#include <string>

#include "pattern.h"

#include "../cmocka.hpp"

using namespace smallprobe;

namespace {

// An RFC 864 stream written out the slow, obvious way, starting at `line`.
std::string rfc864_lines(size_t first_line, size_t count) {
    std::string out;
    for (size_t k = first_line; k < first_line + count; ++k) {
        for (size_t col = 0; col < 72; ++col)
            out.push_back(static_cast<char>(0x20 + (k + col) % 95));
        out += "\r\n";
    }
    return out;
}

void feed(ChargenVerifier& v, const std::string& s, size_t chunk) {
    for (size_t i = 0; i < s.size(); i += chunk) {
        const size_t n = std::min(chunk, s.size() - i);
        v.feed(reinterpret_cast<const uint8_t*>(s.data() + i), n);
    }
}

void test_chargen_valid_stream_in_any_chunking(void**) {
    const std::string stream = rfc864_lines(0, 300);  // more than three 95-line cycles
    const size_t chunks[] = {1, 7, 74, 1000, stream.size()};
    for (size_t chunk : chunks) {
        ChargenVerifier v(true);
        feed(v, stream, chunk);
        assert_int_equal(v.mismatched(), 0);
        assert_int_equal(v.lines(), 300);
    }
}

void test_chargen_line_k_starts_with_0x20_plus_k(void**) {
    const std::string stream = rfc864_lines(0, 96);
    assert_int_equal(stream[0], ' ');
    assert_int_equal(stream[74], '!');
    assert_int_equal(stream[95 * 74], ' ');  // wraps after 95 lines
}

void test_chargen_detects_corruption(void**) {
    std::string stream = rfc864_lines(0, 10);
    stream[100] = '#' == stream[100] ? '$' : '#';
    stream[73] = 'x';  // an LF replaced
    ChargenVerifier v(true);
    feed(v, stream, 33);
    assert_int_equal(v.mismatched(), 2);
}

void test_chargen_strict_requires_line_zero(void**) {
    const std::string stream = rfc864_lines(5, 20);
    ChargenVerifier strict(true);
    feed(strict, stream, 64);
    assert_true(strict.mismatched() > 0);
    ChargenVerifier lenient(false);
    feed(lenient, stream, 64);
    assert_int_equal(lenient.mismatched(), 0);
}

void test_chargen_rejects_a_94_char_ring(void**) {
    // Some servers rotate over '!'..'~' only; that is not RFC 864.
    std::string stream;
    for (size_t k = 0; k < 100; ++k) {  // long enough to wrap past '~'
        for (size_t col = 0; col < 72; ++col)
            stream.push_back(static_cast<char>('!' + (k + col) % 94));
        stream += "\r\n";
    }
    ChargenVerifier v(false);
    feed(v, stream, 74);
    assert_true(v.mismatched() > 0);
}

void test_unprintable(void**) {
    const char good[] = "Hello, world ~\r\n";
    assert_int_equal(count_unprintable(reinterpret_cast<const uint8_t*>(good), sizeof good - 1), 0);
    const uint8_t bad[] = {'a', 0x00, 0x7f, 0xff, '\t'};
    assert_int_equal(count_unprintable(bad, sizeof bad), 4);
}

void test_echo_pattern_windows_are_contiguous(void**) {
    const StreamSource source = StreamSource::pattern();
    const uint64_t offset = source.period() - 10;  // a window that wraps the period
    for (size_t i = 0; i < 1000; ++i)
        assert_int_equal(source.at(offset)[i], source.at(offset + i)[0]);
    assert_int_not_equal(stream_start_for(0, source), stream_start_for(1, source));
    assert_int_equal(count_mismatches(source.at(5), source.at(5 + source.period()), 4096), 0);
    assert_int_equal(count_mismatches(source.at(5), source.at(6), 4096) > 0, 1);
}

void test_repeated_template(void**) {
    const StreamSource source = StreamSource::repeated("PING\r\n");
    assert_int_equal(source.period() % 6, 0);
    assert_memory_equal(source.at(0), "PING\r\nPING\r\n", 12);
    assert_memory_equal(source.at(source.period() - 6), "PING\r\nPING\r\n", 12);
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(test_chargen_valid_stream_in_any_chunking),
                           cmocka_unit_test(test_chargen_line_k_starts_with_0x20_plus_k),
                           cmocka_unit_test(test_chargen_detects_corruption),
                           cmocka_unit_test(test_chargen_strict_requires_line_zero),
                           cmocka_unit_test(test_chargen_rejects_a_94_char_ring),
                           cmocka_unit_test(test_unprintable),
                           cmocka_unit_test(test_echo_pattern_windows_are_contiguous),
                           cmocka_unit_test(test_repeated_template)});
}
