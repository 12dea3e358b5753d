// SPDX-License-Identifier: BSD-2-Clause
#include "dscp.h"

#include <charconv>

namespace smalld::stamp {

std::optional<unsigned> parse_dscp(std::string_view name) {
    if (name == "ef") return 46;
    if (name == "be" || name == "default") return 0;
    if (name == "le") return 1;
    if (name.size() == 3 && name.substr(0, 2) == "cs" && name[2] >= '0' && name[2] <= '7')
        return unsigned(name[2] - '0') * 8;
    if (name.size() == 4 && name.substr(0, 2) == "af" && name[2] >= '1' && name[2] <= '4' &&
        name[3] >= '1' && name[3] <= '3')
        return unsigned(name[2] - '0') * 8 + unsigned(name[3] - '0') * 2;
    unsigned v = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), v);
    if (ec != std::errc() || end != name.data() + name.size() || v > 63) return std::nullopt;
    return v;
}

}  // namespace smalld::stamp
