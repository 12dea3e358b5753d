// SPDX-License-Identifier: BSD-2-Clause
#include "units.h"

#include <cmath>
#include <cstdio>

namespace smalld::units {

namespace {

// `value` (>= 1 once scaled) with three significant digits: 1.50, 12.3, 456.
std::string three_digits(double value, const char* unit) {
    char buf[48];
    int decimals = value < 9.995 ? 2 : value < 99.95 ? 1 : 0;
    snprintf(buf, sizeof buf, "%.*f%s%s", decimals, value, *unit ? " " : "", unit);
    return buf;
}

// Scales by `step` through `names` (the first one for values below a step).
std::string scaled(double value, double step, const char* const* names, size_t count) {
    if (!std::isfinite(value) || value < 0) return "-";
    size_t unit = 0;
    // 999.7 rounds up to 1000 at three digits: that is the next unit's 1.00.
    while (unit + 1 < count && value >= step * 0.9995) {
        value /= step;
        ++unit;
    }
    if (unit == 0) {
        char buf[48];
        snprintf(buf, sizeof buf, "%.0f%s%s", value, *names[0] ? " " : "", names[0]);
        return buf;
    }
    return three_digits(value, names[unit]);
}

}  // namespace

std::string bytes(double n) {
    static const char* const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    return scaled(n, 1024, names, std::size(names));
}

std::string bit_rate(double bytes_per_second) {
    static const char* const names[] = {"bit/s",  "kbit/s", "Mbit/s", "Gbit/s",
                                        "Tbit/s", "Pbit/s", "Ebit/s"};
    return scaled(bytes_per_second * 8, 1000, names, std::size(names));
}

std::string count(double n) {
    if (!std::isfinite(n) || n < 0) return "-";
    std::string out;
    if (n < 9999.5) {
        char buf[32];
        snprintf(buf, sizeof buf, n < 9.95 ? "%.1f" : "%.0f", n);
        out = buf;
    } else {
        static const char* const names[] = {"", "k", "M", "G", "T", "P", "E"};
        out = scaled(n, 1000, names, std::size(names));
        out.erase(out.find(' '), 1);  // "12.3k": no space before a bare prefix
    }
    // A count reads best without zeros that say nothing: "2", "1.5M", "10k".
    size_t end = out.find_first_not_of("0123456789.");
    if (end == std::string::npos) end = out.size();
    if (out.find('.') < end) {
        size_t keep = out.find_last_not_of('0', end - 1);
        if (out[keep] == '.') --keep;
        out.erase(keep + 1, end - keep - 1);
    }
    return out;
}

std::string duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "-";
    char buf[64];
    if (seconds < 59.95) {
        if (seconds == 0) return "0 s";
        if (seconds < 0.9995e-3)
            snprintf(buf, sizeof buf, "%.3g us", seconds * 1e6);
        else if (seconds < 0.9995)
            snprintf(buf, sizeof buf, "%.3g ms", seconds * 1e3);
        else
            snprintf(buf, sizeof buf, "%.1f s", seconds);
        return buf;
    }
    auto s = static_cast<long long>(std::llround(seconds));
    if (s >= 86400)
        snprintf(buf, sizeof buf, "%lldd %lldh %lldm", s / 86400, s / 3600 % 24, s / 60 % 60);
    else if (s >= 3600)
        snprintf(buf, sizeof buf, "%lldh %lldm %llds", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, sizeof buf, "%lldm %llds", s / 60, s % 60);
    return buf;
}

}  // namespace smalld::units
