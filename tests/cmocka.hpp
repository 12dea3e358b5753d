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
