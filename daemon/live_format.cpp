// SPDX-License-Identifier: BSD-2-Clause
// How the live page writes numbers: every humanised figure in one place
// (bytes in IEC units, bit rates in SI units, counts exact up to 99999).
// The page shows the exact value beside each of them (title, data-value).
#include <cmath>
#include <cstdio>

#include "live_page.h"

namespace smalld {

namespace {

std::string fixed(double value, int decimals) {
    char buf[64];
    snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
}

// 3 significant digits: "1.23", "12.3", "123".
std::string three(double value) {
    return fixed(value, value >= 99.95 ? 0 : value >= 9.995 ? 1 : 2);
}

std::string scaled(double value, double base, const char* const* units, size_t n) {
    size_t unit = 0;
    while (std::fabs(value) >= base * 0.9995 && unit + 1 < n) {
        value /= base;
        ++unit;
    }
    return (unit == 0 ? fixed(value, 0) : three(value)) + " " + units[unit];
}

}  // namespace

std::string format_rate(double per_second) {
    if (per_second >= 99999.5) {
        static const char* const units[] = {"", "k", "M", "G", "T"};
        std::string s = scaled(per_second, 1000, units, 5);
        return s.substr(0, s.find(' ')) + s.substr(s.find(' ') + 1);
    }
    return fixed(per_second, per_second >= 100 ? 0 : 1);
}

std::string format_count(double n) {
    if (n < 99999.5) return fixed(n, 0);
    return format_rate(n);
}

std::string format_bytes(double bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    return scaled(bytes, 1024, units, 6);
}

std::string format_bit_rate(double bytes_per_second) {
    static const char* const units[] = {"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"};
    return scaled(bytes_per_second * 8, 1000, units, 5);
}

std::string format_seconds(double seconds) {
    if (seconds < 1e-3) return three(seconds * 1e6) + " \u00b5s";
    if (seconds < 1) return three(seconds * 1e3) + " ms";
    return three(seconds) + " s";
}

std::string format_duration(double seconds) {
    auto s = int64_t(std::floor(std::max(seconds, 0.0)));
    char buf[64];
    if (s >= 86400)
        snprintf(buf, sizeof buf, "%lldd %02lldh", (long long)(s / 86400),
                 (long long)(s % 86400 / 3600));
    else if (s >= 3600)
        snprintf(buf, sizeof buf, "%lldh %02lldm", (long long)(s / 3600),
                 (long long)(s % 3600 / 60));
    else if (s >= 60)
        snprintf(buf, sizeof buf, "%lldm %02llds", (long long)(s / 60), (long long)(s % 60));
    else
        snprintf(buf, sizeof buf, "%llds", (long long)s);
    return buf;
}

}  // namespace smalld
