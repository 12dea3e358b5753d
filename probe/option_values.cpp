// SPDX-License-Identifier: BSD-2-Clause
#include "option_values.h"

#include <getopt.h>

#include <cmath>
#include <cstdlib>
#include <string_view>

#include "parse.h"

namespace smallprobe {

bool fail(std::string* error, const std::string& message) {
    *error = message;
    return false;
}

namespace {

std::optional<uint64_t> in_range(std::optional<uint64_t> (*parse)(std::string_view),
                                 const ValueRange& range, const std::string& value,
                                 std::string* error) {
    auto n = parse(value);
    if (n && *n >= range.least && *n <= range.most) return n;
    *error = std::string(range.flag) + ": expected " + range.expected + ", got \"" + value + "\"";
    return std::nullopt;
}

}  // namespace

std::optional<uint64_t> parse_count_in(const ValueRange& range, const std::string& value,
                                       std::string* error) {
    return in_range(parse_count, range, value, error);
}

std::optional<uint64_t> parse_size_in(const ValueRange& range, const std::string& value,
                                      std::string* error) {
    return in_range(parse_size, range, value, error);
}

bool parse_count_option(const std::string& value, uint64_t* count, std::string* error) {
    return store(parse_count_in({"-n", 1, UINT64_MAX, "a positive count"}, value, error), count);
}

bool parse_duration_option(const char* flag, const char* what, const std::string& value,
                           uint64_t* ns, std::string* error) {
    auto parsed = parse_duration_ns(value);
    if (!parsed)
        return fail(error, std::string(flag) + ": expected " + what +
                               " such as 10s or 500ms, got \"" + value + "\"");
    *ns = *parsed;
    return true;
}

bool parse_max_loss_option(const std::string& value, double* pct, std::string* error) {
    std::string digits = value;
    if (!digits.empty() && digits.back() == '%') digits.pop_back();
    char* end = nullptr;
    const double n = digits.empty() || digits[0] == '-' || digits[0] == '+' ||
                             std::isspace(static_cast<unsigned char>(digits[0]))
                         ? NAN
                         : std::strtod(digits.c_str(), &end);
    if (std::isnan(n) || *end != '\0' || n < 0 || n > 100)
        return fail(error,
                    "--max-loss: expected a percentage from 0 to 100, got \"" + value + "\"");
    *pct = n;
    return true;
}

bool parse_server_pid_option(const std::string& value, int* pid, std::string* error) {
    return store(parse_count_in({"--server-pid", 1, 4194304, "a process id"}, value, error), pid);
}

bool parse_unit_option(const char* flag, const std::string& value, Unit* unit, std::string* error) {
    auto parsed = parse_unit(value);
    if (!parsed)
        return fail(error, std::string(flag) + ": expected us, ms or s, got \"" + value + "\"");
    *unit = *parsed;
    return true;
}

std::string getopt_failure(char** argv) {
    return optopt ? std::string("bad or incomplete option -") + static_cast<char>(optopt)
                  : std::string("bad option ") + argv[optind - 1];
}

}  // namespace smallprobe
