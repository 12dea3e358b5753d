// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// How smallprobe stamp shows its numbers to people, pure (no I/O): delays in
// one unit per table (chosen from the round trip, or fixed by --unit), `-`
// where there is no data, the terminal histogram of --histogram, and the
// per-packet rows of --samples (CSV or JSON lines).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smallprobe {

struct Probe;

enum class Unit { Auto, Us, Ms, S };

// "us", "ms" or "s"; nothing for anything else.
std::optional<Unit> parse_unit(std::string_view text);
// Auto becomes us below 1 ms of `typical_us`, ms below 1 s, else s; a fixed
// unit stays. No data (typical_us < 0) reads in us.
Unit resolve_unit(Unit wanted, double typical_us);
const char* unit_name(Unit unit);  // "us", "ms", "s"
// A delay given in microseconds, in `unit` without its name: 1 decimal in
// us, 3 in ms and s ("12113.2", "12.113", "0.012").
std::string delay_text(double us, Unit unit);
// The same right-aligned in `width` columns; "-" when !valid.
std::string delay_cell(double us, Unit unit, bool valid, int width = 10);

// --histogram: log-scale buckets of 1, 2 and 5 times a power of ten (in us)
// from the one holding the smallest value to the one holding the largest,
// one line each: the bucket's range in `unit`, a bar scaled so the fullest
// bucket fills `bar_columns`, and its count. No values: one line, "-".
std::vector<std::string> histogram_lines(const std::vector<double>& values_us, Unit unit,
                                         int bar_columns);
// Columns for the bars on a terminal `terminal_columns` wide (0: not a
// terminal, 60 columns); never fewer than 10.
int histogram_bar_columns(int terminal_columns);

// --samples: one row per packet sent, in sending order; seq counts from 0.
// Times are ns since the Unix epoch; a lost packet's T2-T4 are empty (CSV)
// or null (JSON lines).
std::string samples_csv_header();  // "seq,size,t1_ns,t2_ns,t3_ns,t4_ns,ttl,copies\n"
std::string sample_csv_row(uint64_t seq, const Probe& p);
std::string sample_jsonl_row(uint64_t seq, const Probe& p);
// jsonl when `format` says so, or (format empty) when `path` ends in .jsonl.
bool samples_as_jsonl(std::string_view path, std::string_view format);
struct StampOptions;

}  // namespace smallprobe
