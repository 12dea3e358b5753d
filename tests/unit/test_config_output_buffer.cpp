// SPDX-License-Identifier: BSD-2-Clause
// [daemon] output_buffer: sizes with k and m suffixes, bounded.
#include <string>

#include "config.h"

#include "../cmocka.hpp"

namespace {

smalld::ConfigResult parse(const std::string& value) {
    return smalld::parse_config(
        "[daemon]\noutput_buffer = " + value + "\n[echo]\ntcp = 127.0.0.1:0\n", "t.ini");
}

void accepts_sizes(void**) {
    assert_int_equal(
        smalld::parse_config("[echo]\ntcp = 127.0.0.1:0\n", "t.ini").config->daemon.output_buffer,
        64 * 1024);
    assert_int_equal(parse("256k").config->daemon.output_buffer, 256 * 1024);
    assert_int_equal(parse("1m").config->daemon.output_buffer, 1024 * 1024);
    assert_int_equal(parse("8192").config->daemon.output_buffer, 8192);
    assert_int_equal(parse("64m").config->daemon.output_buffer, 64 * 1024 * 1024);
}

void rejects_bad_sizes(void**) {
    for (const char* bad : {"1k", "65m", "", "k", "12x", "-4k", "1g", "4.5k"}) {
        auto result = parse(bad);
        assert_false(result.ok());
        assert_int_equal(result.errors.front().line, 2);
        assert_true(result.errors.front().message.find("output_buffer") != std::string::npos ||
                    result.errors.front().message.find("size") != std::string::npos);
    }
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(accepts_sizes), cmocka_unit_test(rejects_bad_sizes)});
}
