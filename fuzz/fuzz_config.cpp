// SPDX-License-Identifier: BSD-2-Clause
// The INI parser and every key's value parser: any text either parses into a
// Config or yields errors, each of which names a line of the text.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    smalld::ConfigResult result = smalld::parse_config(text, "fuzz.ini");
    if (result.ok() == !result.errors.empty()) abort();  // exactly one of the two
    for (const auto& error : result.errors) {
        if (error.message.empty() || error.line < 0) abort();
        (void)error.to_string();
    }
    return 0;
}
