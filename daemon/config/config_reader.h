// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The configuration files as read, before any value is applied: sections of
// KEY = VALUE entries, each with the file and line it came from.

#include <deque>
#include <string>
#include <vector>

#include "config.h"

namespace smalld {

struct RawEntry {
    std::string key;
    std::string value;
    int line;
    const std::string* file;  // the file it is in (main file or drop-in)
};

struct RawSection {
    std::string name;
    int line;
    std::vector<RawEntry> entries;
    const std::string* file;  // where the section first appears
};

struct RawSections {
    std::deque<RawSection> sections;  // merged, in the order first seen
    size_t headers = 0;               // section headers seen, good or bad
    size_t good_headers = 0;
};

// Reads each file on its own (a duplicate section or key within one file is
// an error), then merges them in order: a later file's section adds its keys
// to an earlier one of the same name, a key set again replaces the earlier
// value where it stood. Syntax errors go to `errors`.
RawSections read_config_files(const std::vector<ConfigText>& files,
                              std::vector<ConfigError>& errors);

}  // namespace smalld
