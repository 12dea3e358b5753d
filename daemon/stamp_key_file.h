#pragma once
// The key_file of an authenticated STAMP reflector.

#include <string>
#include <string_view>

#include "config.h"

namespace smalld {

// Reads the key into instance.stamp_key (and the path into stamp_key_file):
// the file's bytes, a final newline removed, 1 to 4096 bytes. Like ssh,
// refuses a file that others than its owner may read, or that is not a
// regular file. An empty path clears the key.
bool load_stamp_key(InstanceConfig& instance, std::string_view path, std::string* error);

}  // namespace smalld
