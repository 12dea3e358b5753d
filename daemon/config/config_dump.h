// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// smalld -T: the effective configuration as an INI file, every key of every
// section with its value and, as a comment, its origin (FILE:LINE or default).

#include <string>

#include "config.h"

namespace smalld {

std::string dump_config(const Config& config);

}  // namespace smalld
