// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A DSCP by its name (RFC 4594: ef, csN, afXY, le, be or default) or its
// number 0..63; shared by smallprobe's options and the stamp-sender's key.

#include <optional>
#include <string_view>

namespace smalld::stamp {

std::optional<unsigned> parse_dscp(std::string_view name);

}  // namespace smalld::stamp
