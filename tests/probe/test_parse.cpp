// SPDX-License-Identifier: BSD-2-Clause
// Command-line value parsers: durations, sizes, counts, templates, targets.

#include <string>

#include "parse.h"

#include "../cmocka.hpp"

using namespace smallprobe;

namespace {

void test_durations(void**) {
    assert_int_equal(*parse_duration_ns("10s"), 10000000000ull);
    assert_int_equal(*parse_duration_ns("500ms"), 500000000ull);
    assert_int_equal(*parse_duration_ns("250us"), 250000ull);
    assert_int_equal(*parse_duration_ns("2m"), 120000000000ull);
    assert_int_equal(*parse_duration_ns("1h"), 3600000000000ull);
    assert_int_equal(*parse_duration_ns("3"), 3000000000ull);
    assert_false(parse_duration_ns("").has_value());
    assert_false(parse_duration_ns("0s").has_value());
    assert_false(parse_duration_ns("10 s").has_value());
    assert_false(parse_duration_ns("fast").has_value());
    assert_false(parse_duration_ns("5d").has_value());
    assert_false(parse_duration_ns("99999999999999h").has_value());  // overflow
}

void test_sizes(void**) {
    assert_int_equal(*parse_size("64"), 64);
    assert_int_equal(*parse_size("16k"), 16384);
    assert_int_equal(*parse_size("16KiB"), 16384);
    assert_int_equal(*parse_size("1M"), 1048576);
    assert_int_equal(*parse_size("1MiB"), 1048576);
    assert_false(parse_size("1G").has_value());
    assert_false(parse_size("-1").has_value());
    assert_false(parse_size("k").has_value());
}

void test_counts(void**) {
    assert_int_equal(*parse_count("1000"), 1000);
    assert_int_equal(*parse_count("10k"), 10000);
    assert_int_equal(*parse_count("2M"), 2000000);
    assert_false(parse_count("10K").has_value());
    assert_false(parse_count("1.5k").has_value());
}

void test_template_escapes(void**) {
    std::string error;
    assert_string_equal(parse_template("version\\r\\n", &error)->c_str(), "version\r\n");
    assert_string_equal(parse_template("a\\tb\\\\c", &error)->c_str(), "a\tb\\c");
    assert_string_equal(parse_template("\\x41\\x7e", &error)->c_str(), "A~");
    const auto with_nul = parse_template("a\\0b", &error);
    assert_int_equal(with_nul->size(), 3);
    assert_int_equal((*with_nul)[1], '\0');
}

void test_template_errors(void**) {
    std::string error;
    assert_false(parse_template("abc\\", &error).has_value());
    assert_string_equal(error.c_str(), "template ends inside an escape");
    assert_false(parse_template("\\q", &error).has_value());
    assert_false(parse_template("\\x4", &error).has_value());
    assert_false(parse_template("\\xzz", &error).has_value());
    assert_false(parse_template("", &error).has_value());
}

void test_host_port(void**) {
    auto v4 = split_host_port("127.0.0.1:7");
    assert_string_equal(v4->host.c_str(), "127.0.0.1");
    assert_string_equal(v4->port.c_str(), "7");
    auto v6 = split_host_port("[::1]:17007");
    assert_string_equal(v6->host.c_str(), "::1");
    assert_string_equal(v6->port.c_str(), "17007");
    assert_string_equal(split_host_port("localhost:19")->host.c_str(), "localhost");
    assert_false(split_host_port("::1:7").has_value());  // v6 needs brackets
    assert_false(split_host_port("127.0.0.1").has_value());
    assert_false(split_host_port("127.0.0.1:0").has_value());
    assert_false(split_host_port("127.0.0.1:65536").has_value());
    assert_false(split_host_port("[::1]7").has_value());
    assert_false(split_host_port(":7").has_value());
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(test_durations), cmocka_unit_test(test_sizes),
                           cmocka_unit_test(test_counts), cmocka_unit_test(test_template_escapes),
                           cmocka_unit_test(test_template_errors),
                           cmocka_unit_test(test_host_port)});
}
