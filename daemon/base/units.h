// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The one way smalld, smallctl and smallprobe write a size, a rate or a
// duration for people: bytes in IEC units (KiB, MiB, GiB: what memory and
// files are counted in), throughput in SI bits per second (kbit/s, Mbit/s:
// what links are sold in), durations from the largest unit down ("1d 2h 3m",
// "3m 53s", "3.4 s"). Three significant digits at most, a space before the
// unit. For people only: JSON and -j carry the raw numbers in base units
// (bytes, seconds). Pure; no locale.

#include <string>

namespace smalld::units {

// 512 -> "512 B", 1536 -> "1.50 KiB", 92955738112 -> "86.6 GiB".
std::string bytes(double n);
// Bytes per second as bits per second: 125000 -> "1.00 Mbit/s", 12 -> "96 bit/s".
std::string bit_rate(double bytes_per_second);
// A count or a count per second, in a narrow column: 0.5 -> "0.5", 2 -> "2",
// 1234 -> "1234", 12345 -> "12.3k", 2.5e6 -> "2.5M"; below 0.05, "0".
std::string count(double n);
// 90061 -> "1d 1h 1m", 3725 -> "1h 2m 5s", 233 -> "3m 53s", 3.42 -> "3.4 s",
// 0.25 -> "250 ms", 12e-6 -> "12 us" (ASCII: terminals and logs alike).
std::string duration(double seconds);

}  // namespace smalld::units
