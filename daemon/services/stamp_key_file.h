// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The key_file of an authenticated STAMP reflector.

#include <string>
#include <string_view>

#include "services.h"

namespace smalld {

// Reads the key into settings.key (and the path into settings.key_file):
// the file's bytes, a final newline removed, 1 to 4096 bytes. Like ssh,
// refuses a file that others than its owner may read, or that is not a
// regular file. An empty path clears the key.
bool load_stamp_key(StampSettings& settings, std::string_view path, std::string* error);

}  // namespace smalld
