// SPDX-License-Identifier: BSD-2-Clause
// smallprobe stamp's numbers for people: units, "-", the histogram and the
// --samples rows. Pure, so tests/probe/test_stamp_format.cpp checks each.
#include "stamp_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "stamp.h"

namespace smallprobe {

std::optional<Unit> parse_unit(std::string_view text) {
    if (text == "us") return Unit::Us;
    if (text == "ms") return Unit::Ms;
    if (text == "s") return Unit::S;
    return std::nullopt;
}

Unit resolve_unit(Unit wanted, double typical_us) {
    if (wanted != Unit::Auto) return wanted;
    if (typical_us < 1000.0) return Unit::Us;
    if (typical_us < 1e6) return Unit::Ms;
    return Unit::S;
}

const char* unit_name(Unit unit) {
    switch (unit) {
        case Unit::Ms:
            return "ms";
        case Unit::S:
            return "s";
        default:
            return "us";
    }
}

namespace {

double in_unit(double us, Unit unit) {
    switch (unit) {
        case Unit::Ms:
            return us / 1e3;
        case Unit::S:
            return us / 1e6;
        default:
            return us;
    }
}

// A bucket bound (1, 2 or 5 times a power of ten microseconds) in `unit`,
// as short as it goes: "0.05", "200", "1".
std::string bound_text(double us, Unit unit) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", in_unit(us, unit));
    return text;
}

// Bucket k*3 + step holds [m * 10^k, next) with m = 1, 2, 5 for step 0..2.
int bucket_of(double us) {
    double v = std::max(us, 0.1);
    int k = int(std::floor(std::log10(v)));
    double m = v / std::pow(10.0, k);
    if (m >= 10) {  // rounding at an exact power of ten
        ++k;
        m /= 10;
    }
    return k * 3 + (m < 2 ? 0 : m < 5 ? 1 : 2);
}

// "  0.05 - 0.1 ms", padded: the bars start in one column.
constexpr int kLabelColumns = 24;

double bucket_low(int bucket) {
    static constexpr double kSteps[] = {1, 2, 5};
    int k = int(std::floor(double(bucket) / 3.0));
    return kSteps[bucket - k * 3] * std::pow(10.0, k);
}

}  // namespace

std::string delay_text(double us, Unit unit) {
    char text[48];
    std::snprintf(text, sizeof text, unit == Unit::Us ? "%.1f" : "%.3f", in_unit(us, unit));
    return text;
}

std::string delay_cell(double us, Unit unit, bool valid, int width) {
    std::string text = valid ? delay_text(us, unit) : "-";
    if (int(text.size()) < width) text.insert(0, size_t(width) - text.size(), ' ');
    return text;
}

std::vector<std::string> histogram_lines(const std::vector<double>& values_us, Unit unit,
                                         int bar_columns) {
    if (values_us.empty()) return {"  -"};
    auto [lo, hi] = std::minmax_element(values_us.begin(), values_us.end());
    int first = bucket_of(*lo), last = bucket_of(*hi);
    std::vector<uint64_t> counts(size_t(last - first + 1));
    for (double v : values_us) ++counts[size_t(bucket_of(v) - first)];
    uint64_t most = *std::max_element(counts.begin(), counts.end());
    std::vector<std::string> lines;
    for (int b = first; b <= last; ++b) {
        uint64_t n = counts[size_t(b - first)];
        size_t bar = size_t(std::llround(double(n) * bar_columns / double(most)));
        if (n && bar == 0) bar = 1;
        char text[96];
        std::snprintf(text, sizeof text, "  %8s - %s %s", bound_text(bucket_low(b), unit).c_str(),
                      bound_text(bucket_low(b + 1), unit).c_str(), unit_name(unit));
        std::string line = text;
        line.resize(std::max(line.size(), size_t(kLabelColumns)), ' ');
        line += " |";
        line += std::string(bar, '#') + std::string(size_t(bar_columns) - bar, ' ');
        line += "| " + std::to_string(n);
        lines.push_back(line);
    }
    return lines;
}

int histogram_bar_columns(int terminal_columns) {
    if (terminal_columns <= 0) return 60;
    // The label and " |" take 26 columns, "| " and the count up to 10.
    return std::max(10, terminal_columns - kLabelColumns - 2 - 10);
}

std::string samples_csv_header() {
    return "seq,size,t1_ns,t2_ns,t3_ns,t4_ns,ttl,copies\n";
}

std::string sample_csv_row(uint64_t seq, const Probe& p) {
    std::string row =
        std::to_string(seq) + "," + std::to_string(p.size) + "," + std::to_string(p.t1);
    if (p.received)
        row += "," + std::to_string(p.t2) + "," + std::to_string(p.t3) + "," + std::to_string(p.t4);
    else
        row += ",,,";
    row += "," + (p.received && p.ttl >= 0 ? std::to_string(p.ttl) : std::string());
    row += "," + std::to_string(p.copies) + "\n";
    return row;
}

std::string sample_jsonl_row(uint64_t seq, const Probe& p) {
    auto field = [&](int64_t v) { return p.received ? std::to_string(v) : std::string("null"); };
    return "{\"seq\":" + std::to_string(seq) + ",\"size\":" + std::to_string(p.size) +
           ",\"t1_ns\":" + std::to_string(p.t1) + ",\"t2_ns\":" + field(p.t2) +
           ",\"t3_ns\":" + field(p.t3) + ",\"t4_ns\":" + field(p.t4) +
           ",\"ttl\":" + (p.received && p.ttl >= 0 ? std::to_string(p.ttl) : std::string("null")) +
           ",\"copies\":" + std::to_string(p.copies) + "}\n";
}

bool samples_as_jsonl(std::string_view path, std::string_view format) {
    if (!format.empty()) return format == "jsonl";
    return path.size() >= 6 && path.substr(path.size() - 6) == ".jsonl";
}

bool write_samples(FILE* f, const StampOptions& o, const std::vector<Probe>& probes) {
    bool jsonl = samples_as_jsonl(o.samples, o.samples_format);
    if (!jsonl) std::fputs(samples_csv_header().c_str(), f);
    for (size_t i = 0; i < probes.size(); ++i)
        std::fputs((jsonl ? sample_jsonl_row(i, probes[i]) : sample_csv_row(i, probes[i])).c_str(),
                   f);
    bool ok = !std::ferror(f);
    return (f == stdout ? std::fflush(f) == 0 : std::fclose(f) == 0) && ok;
}

}  // namespace smallprobe
