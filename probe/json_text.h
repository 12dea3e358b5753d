// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The JSON text smallprobe's -j objects are made of, pure: a string quoted
// and escaped, a number or null where it is not known.

#include <string>
#include <string_view>

namespace smallprobe {

// `text` as a JSON string: quotes and backslashes escaped, control
// characters as \u00XX.
std::string json_quoted(std::string_view text);
// `value` with `decimals` decimals ("%.*f"); null when !known.
std::string json_fixed(bool known, int decimals, double value);
// `value` to 6 significant digits ("%.6g"); null when !known.
std::string json_number(bool known, double value);

}  // namespace smallprobe
