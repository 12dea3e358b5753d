// SPDX-License-Identifier: BSD-2-Clause
// The one formatter of sizes, rates and durations (daemon/base/units.h): IEC for
// bytes, SI for bits per second, durations from the largest unit down, and
// "-" for what is not a figure.
#include <cmath>
#include <string>

#include "units.h"
// cmocka last: its macros clash with the standard headers.
#include "../cmocka.hpp"

using namespace smalld;

static void sizes_in_iec_units(void**) {
    assert_str_eq(units::bytes(0), "0 B");
    assert_str_eq(units::bytes(512), "512 B");
    assert_str_eq(units::bytes(1023), "1023 B");
    assert_str_eq(units::bytes(1024), "1.00 KiB");
    assert_str_eq(units::bytes(1536), "1.50 KiB");
    assert_str_eq(units::bytes(10 * 1024 * 1024), "10.0 MiB");
    assert_str_eq(units::bytes(92955738112.0), "86.6 GiB");  // not 92955738112, not 93.0G
    assert_str_eq(units::bytes(1023.9 * 1024), "1.00 MiB");  // rounding carries to the next unit
    assert_str_eq(units::bytes(5.5 * 1099511627776.0), "5.50 TiB");
}

static void throughput_in_si_bits(void**) {
    assert_str_eq(units::bit_rate(0), "0 bit/s");
    assert_str_eq(units::bit_rate(12), "96 bit/s");
    assert_str_eq(units::bit_rate(125), "1.00 kbit/s");
    assert_str_eq(units::bit_rate(125000), "1.00 Mbit/s");
    assert_str_eq(units::bit_rate(1.5e6), "12.0 Mbit/s");
    assert_str_eq(units::bit_rate(5.1 * 1073741824), "43.8 Gbit/s");
}

static void counts_in_a_narrow_column(void**) {
    assert_str_eq(units::count(0), "0");
    assert_str_eq(units::count(0.04), "0");
    assert_str_eq(units::count(0.5), "0.5");
    assert_str_eq(units::count(2), "2");
    assert_str_eq(units::count(1234), "1234");
    assert_str_eq(units::count(12345), "12.3k");
    assert_str_eq(units::count(10000), "10k");
    assert_str_eq(units::count(1.5e6), "1.5M");
    assert_str_eq(units::count(25e6), "25M");
}

static void durations_from_the_largest_unit(void**) {
    assert_str_eq(units::duration(0), "0 s");
    assert_str_eq(units::duration(12e-6), "12 us");
    assert_str_eq(units::duration(0.25), "250 ms");
    assert_str_eq(units::duration(3.42), "3.4 s");
    assert_str_eq(units::duration(59.96), "1m 0s");
    assert_str_eq(units::duration(233), "3m 53s");
    assert_str_eq(units::duration(61), "1m 1s");
    assert_str_eq(units::duration(3725), "1h 2m 5s");
    assert_str_eq(units::duration(90061), "1d 1h 1m");
    assert_str_eq(units::duration(3 * 86400 + 5 * 3600), "3d 5h 0m");
}

// Not a figure: never a 0 that means "no data".
static void no_figure_is_a_dash(void**) {
    for (double bad : {-1.0, double(NAN), double(INFINITY)}) {
        assert_str_eq(units::bytes(bad), "-");
        assert_str_eq(units::bit_rate(bad), "-");
        assert_str_eq(units::count(bad), "-");
        assert_str_eq(units::duration(bad), "-");
    }
}

int main() {
    return run_test_group(
        {cmocka_unit_test(sizes_in_iec_units), cmocka_unit_test(throughput_in_si_bits),
         cmocka_unit_test(counts_in_a_narrow_column),
         cmocka_unit_test(durations_from_the_largest_unit), cmocka_unit_test(no_figure_is_a_dash)});
}
