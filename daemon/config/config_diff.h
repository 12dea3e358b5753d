// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// What a reload changes, key by key, driven by the key table: an instance
// added, removed or retyped; every key of every section whose effective value
// (as written, or its default) differs, old -> new; a file a key names whose
// content changed though its path did not ("[stamp] key_file: /path
// changed", from the fingerprints; nothing of the content); the keys that
// wait for a restart marked so. Listeners opened and closed are the reload's to report.

#include <string>
#include <vector>

#include "config.h"

namespace smalld {

std::vector<std::string> diff_config(const Config& before, const Config& after);

}  // namespace smalld
