// SPDX-License-Identifier: BSD-2-Clause
// smallprobe stamp's output for people, without sockets: units scaled to the
// round trip or fixed by -u, ping's min/avg/max/mdev, "-" and "unknown" where
// there is no data, interval lines of the interval alone, the --histogram
// lines, the --samples rows, and --key-file's 128-byte default (112 with --no-counters).

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "stamp.h"

#include "../cmocka.hpp"

using namespace smallprobe;

namespace {

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// What a print function wrote, through a memory stream.
template <typename F>
std::string printed(F print) {
    char* buffer = nullptr;
    size_t size = 0;
    FILE* f = open_memstream(&buffer, &size);
    print(f);
    std::fclose(f);
    std::string text(buffer, size);
    std::free(buffer);
    return text;
}

// The summary `smallprobe stamp -u unit 192.0.2.1` prints after `probes`,
// shown on stderr for the test's log.
std::string summary_of(const std::vector<Probe>& probes, bool stateful, Unit unit = Unit::Ms) {
    StampOptions o;
    o.host = "192.0.2.1";
    o.unit = unit;
    StampSummary s = summarize(probes, stateful);
    std::string text = printed([&](FILE* f) { print_stamp_summary(f, o, s); });
    std::fputs(text.c_str(), stderr);
    return text;
}

Probe answered(uint32_t i, int64_t rtt_us) {
    Probe p;
    p.seq = (1u << 24) + i;
    p.size = 44;
    p.t1 = 1'700'000'000'000'000'000 + int64_t(i) * 1'000'000;
    p.t2 = p.t1 + rtt_us * 500;
    p.t3 = p.t2 + 10'000;  // 10 us processing
    p.t4 = p.t1 + rtt_us * 1000;
    p.received = true;
    p.copies = 1;
    p.arrival = i;
    p.reflector_seq = p.seq;
    p.ttl = 255;
    return p;
}

Probe lost(uint32_t i) {
    Probe p;
    p.seq = (1u << 24) + i;
    p.size = 112;
    p.t1 = 1'700'000'000'000'000'000 + int64_t(i) * 1'000'000;
    return p;
}

void test_units(void**) {
    assert_true(parse_unit("ms") == Unit::Ms);
    assert_true(parse_unit("us") == Unit::Us);
    assert_true(parse_unit("s") == Unit::S);
    assert_false(parse_unit("µs").has_value());
    assert_true(resolve_unit(Unit::Auto, 850) == Unit::Us);
    assert_true(resolve_unit(Unit::Auto, 12113.2) == Unit::Ms);
    assert_true(resolve_unit(Unit::Auto, 2.5e6) == Unit::S);
    assert_true(resolve_unit(Unit::Auto, -1) == Unit::Us);
    assert_true(resolve_unit(Unit::Us, 12113.2) == Unit::Us);
    assert_string_equal(delay_text(12113.2, Unit::Ms).c_str(), "12.113");
    assert_string_equal(delay_text(12113.2, Unit::Us).c_str(), "12113.2");
    assert_string_equal(delay_text(2'500'000, Unit::S).c_str(), "2.500");
    assert_string_equal(delay_cell(0, Unit::Us, false, 4).c_str(), "   -");
    assert_string_equal(delay_cell(1.25, Unit::Us, true, 4).c_str(), " 1.2");
}

void test_avg_and_mdev(void**) {
    Quantiles q = quantiles({1, 2, 3, 4});
    assert_true(q.valid);
    assert_true(q.avg == 2.5);
    assert_true(std::fabs(q.mdev - std::sqrt(1.25)) < 1e-9);  // as ping's mdev
    assert_false(quantiles({}).valid);
}

void test_summary_scales_and_reads_like_ping(void**) {
    std::vector<Probe> probes = {answered(0, 12113), answered(1, 12113), lost(2), lost(3)};
    std::string text = summary_of(probes, true);
    assert_true(has(text, "sent 4, received 2, lost 2 (50%)"));
    assert_true(has(text, "rtt min/avg/max/mdev = 12.113/12.113/12.113/0.000 ms\n"));
    assert_true(has(text, "delay (ms)"));
    assert_true(has(text, "     12.113"));
    assert_false(has(text, "12113"));
    text = summary_of(probes, true, Unit::Us);
    assert_true(has(text, "rtt min/avg/max/mdev = 12113.0/12113.0/12113.0/0.0 us\n"));
}

void test_no_replies_no_numbers(void**) {
    std::vector<Probe> probes = {lost(0), lost(1), lost(2)};
    std::string text = summary_of(probes, false);
    assert_true(has(text, "sent 3, received 0, lost 3 (100%)"));
    assert_true(has(text, "stateful/stateless reflector: unknown"));
    assert_false(has(text, "stateless reflector)"));
    assert_true(has(text, "rtt min/avg/max/mdev = -\n"));
    assert_true(has(text, "IPDV -, RFC 3550 -"));
    assert_true(has(text, "min network rtt -"));
    assert_false(has(text, "0.0"));  // no made-up zero anywhere
}

void test_interval_line_is_of_the_interval(void**) {
    std::string text = printed([](FILE* f) {
        print_stamp_interval(f, Unit::Auto, 1, 2, 10, {100, 200, 300}, {5, 5, 5});
    });
    assert_string_equal(text.c_str(),
                        "[  1.00-  2.00 s] sent 10, received 3, rtt min/avg/max/mdev "
                        "100.0/200.0/300.0/81.6 us, processing p50 5.0 us\n");
    text = printed([](FILE* f) { print_stamp_interval(f, Unit::Ms, 2, 3, 10, {}, {}); });
    assert_string_equal(text.c_str(),
                        "[  2.00-  3.00 s] sent 10, received 0, rtt min/avg/max/mdev -, "
                        "processing p50 -\n");
}

void test_histogram(void**) {
    std::vector<std::string> lines = histogram_lines({15, 30, 35, 150}, Unit::Us, 10);
    assert_int_equal(lines.size(), 4);
    assert_string_equal(lines[0].c_str(), "        10 - 20 us       |#####     | 1");
    assert_string_equal(lines[1].c_str(), "        20 - 50 us       |##########| 2");
    assert_string_equal(lines[2].c_str(), "        50 - 100 us      |          | 0");
    assert_string_equal(lines[3].c_str(), "       100 - 200 us      |#####     | 1");
    // In ms, and a bucket of one among many still shows a mark.
    std::vector<double> many(1000, 1500);
    many.push_back(4000);
    lines = histogram_lines(many, Unit::Ms, 10);
    assert_int_equal(lines.size(), 2);
    assert_string_equal(lines[0].c_str(), "         1 - 2 ms        |##########| 1000");
    assert_string_equal(lines[1].c_str(), "         2 - 5 ms        |#         | 1");
    lines = histogram_lines({}, Unit::Us, 10);
    assert_int_equal(lines.size(), 1);
    assert_string_equal(lines[0].c_str(), "  -");
    assert_int_equal(histogram_bar_columns(0), 60);  // not a terminal
    assert_int_equal(histogram_bar_columns(120), 84);
    assert_int_equal(histogram_bar_columns(20), 10);
}

void test_samples_rows(void**) {
    Probe a = answered(0, 100), l = lost(1);
    assert_string_equal(samples_csv_header().c_str(),
                        "seq,size,t1_ns,t2_ns,t3_ns,t4_ns,ttl,copies\n");
    assert_string_equal(sample_csv_row(0, a).c_str(),
                        "0,44,1700000000000000000,1700000000000050000,1700000000000060000,"
                        "1700000000000100000,255,1\n");
    assert_string_equal(sample_csv_row(1, l).c_str(), "1,112,1700000000001000000,,,,,0\n");
    assert_string_equal(sample_jsonl_row(1, l).c_str(),
                        "{\"seq\":1,\"size\":112,\"t1_ns\":1700000000001000000,\"t2_ns\":null,"
                        "\"t3_ns\":null,\"t4_ns\":null,\"ttl\":null,\"copies\":0}\n");
    assert_string_equal(sample_jsonl_row(0, a).c_str(),
                        "{\"seq\":0,\"size\":44,\"t1_ns\":1700000000000000000,"
                        "\"t2_ns\":1700000000000050000,\"t3_ns\":1700000000000060000,"
                        "\"t4_ns\":1700000000000100000,\"ttl\":255,\"copies\":1}\n");
    assert_true(samples_as_jsonl("run.jsonl", ""));
    assert_false(samples_as_jsonl("run.csv", ""));
    assert_false(samples_as_jsonl("run.jsonl", "csv"));
    assert_true(samples_as_jsonl("-", "jsonl"));
}

StampParse parse(std::vector<const char*> args, StampOptions* o, std::string* error) {
    args.insert(args.begin(), "stamp");
    return parse_stamp_options(int(args.size()), const_cast<char**>(args.data()), o, error);
}

void test_options(void**) {
    char path[] = "/tmp/smallprobe-key.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "secret\n", 7), 7);
    close(fd);
    StampOptions o;
    std::string error;
    assert_int_equal(parse({"--key-file", path, "h"}, &o, &error), StampParse::Run);
    assert_int_equal(o.sizes.size(), 1);
    // Implied, no "use -s 112": the base, the Direct Measurement (16),
    // Follow-Up Telemetry (20) and Timestamp Information (8) TLVs.
    assert_int_equal(o.sizes[0], 156);
    StampOptions bare;
    assert_int_equal(
        parse({"--no-counters", "--no-follow-up", "--no-timestamp-info", "--key-file", path, "h"},
              &bare, &error),
        StampParse::Run);
    assert_int_equal(bare.sizes[0], 112);
    StampOptions plain;
    assert_int_equal(parse({"h"}, &plain, &error), StampParse::Run);
    assert_int_equal(plain.sizes[0], 88);
    // --timestamping user: no Follow-Up Telemetry to ask for.
    StampOptions user;
    assert_int_equal(parse({"--timestamping", "user", "h"}, &user, &error), StampParse::Run);
    assert_int_equal(user.sizes[0], 68);
    assert_false(user.follow_up);
    StampOptions wrong;
    assert_int_equal(parse({"--timestamping", "kernel", "h"}, &wrong, &error), StampParse::Error);
    StampOptions big;
    assert_int_equal(parse({"-s", "200", "--key-file", path, "h"}, &big, &error), StampParse::Run);
    assert_int_equal(big.sizes[0], 200);
    StampOptions small;
    assert_int_equal(parse({"-s", "64", "--key-file", path, "h"}, &small, &error),
                     StampParse::Error);
    assert_true(has(error, "112"));
    unlink(path);
    StampOptions u;
    assert_int_equal(parse({"-u", "ms", "--histogram", "--samples", "x.jsonl", "h"}, &u, &error),
                     StampParse::Run);
    assert_true(u.unit == Unit::Ms && u.histogram && u.samples == "x.jsonl");
    StampOptions bad;
    assert_int_equal(parse({"--unit", "min", "h"}, &bad, &error), StampParse::Error);
    assert_int_equal(parse({"--samples-format", "xml", "h"}, &bad, &error), StampParse::Error);
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(test_units), cmocka_unit_test(test_avg_and_mdev),
                           cmocka_unit_test(test_summary_scales_and_reads_like_ping),
                           cmocka_unit_test(test_no_replies_no_numbers),
                           cmocka_unit_test(test_interval_line_is_of_the_interval),
                           cmocka_unit_test(test_histogram), cmocka_unit_test(test_samples_rows),
                           cmocka_unit_test(test_options)});
}
