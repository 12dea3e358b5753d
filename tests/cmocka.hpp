// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// cmocka for C++ tests: include this last. cmocka's fail() macro would break
// any C++ library header included after it.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

extern "C" {
#include <cmocka.h>
}

// assert_string_equal for std::string.
#define assert_str_eq(a, b) assert_string_equal(std::string(a).c_str(), std::string(b).c_str())

// Runs a test file's tests as one group; a test file's main is
//   int main() { return run_test_group({cmocka_unit_test(a), cmocka_unit_test(b)}); }
// setup and teardown, when given, run once before and after the whole group.
template <size_t N>
int run_test_group(const CMUnitTest (&tests)[N], CMFixtureFunction setup = nullptr,
                   CMFixtureFunction teardown = nullptr) {
    return cmocka_run_group_tests(tests, setup, teardown);
}
