// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The unit tests' one way to write an address: at("127.0.0.1:7"),
// at("[::1]:0"). A text that names no address is the test's own mistake and
// ends the test binary (std::bad_optional_access), which fails it.
#include <string>

#include "address.h"

inline smalld::SockAddr at(const char* text) {
    std::string error;
    return smalld::parse_endpoint(text, &error).value();
}
