// SPDX-License-Identifier: BSD-2-Clause
// The control protocol's pure request side: line framing and request parsing.
#include <string>
#include <vector>

#include "../cmocka.hpp"
#include "control_request.h"

using namespace smalld;

namespace {

struct Fed {
    std::vector<std::string> lines;  // "<too long>" for an overflow
};

Fed feed(LineReader& reader, const std::string& data) {
    Fed fed;
    size_t used = reader.feed(data, [&](const LineReader::Item& item) {
        fed.lines.push_back(item.too_long ? "<too long>" : std::string(item.line));
        return true;
    });
    assert_int_equal(used, data.size());
    return fed;
}

}  // namespace

static void frames_lines(void**) {
    LineReader reader;
    auto fed = feed(reader, "status\nstats\r\n\nconn kill 4");
    assert_int_equal(fed.lines.size(), 3);
    assert_str_eq(fed.lines[0], "status");
    assert_str_eq(fed.lines[1], "stats");
    assert_str_eq(fed.lines[2], "");
    assert_true(reader.partial());
    fed = feed(reader, "2\n");
    assert_int_equal(fed.lines.size(), 1);
    assert_str_eq(fed.lines[0], "conn kill 42");
    assert_false(reader.partial());
}

static void byte_at_a_time(void**) {
    LineReader reader;
    std::string text = "{\"command\":\"stats\"}\nlisteners\n";
    std::vector<std::string> lines;
    for (char c : text) {
        auto fed = feed(reader, std::string(1, c));
        lines.insert(lines.end(), fed.lines.begin(), fed.lines.end());
    }
    assert_int_equal(lines.size(), 2);
    assert_str_eq(lines[0], "{\"command\":\"stats\"}");
    assert_str_eq(lines[1], "listeners");
}

static void oversized_line_is_reported_once_and_skipped(void**) {
    LineReader reader(16);
    // Exactly the limit passes, with or without CR.
    auto fed = feed(reader, std::string(16, 'a') + "\n" + std::string(16, 'b') + "\r\n");
    assert_int_equal(fed.lines.size(), 2);
    assert_int_equal(fed.lines[1].size(), 16);
    // One over: reported once, even when it arrives in pieces.
    fed = feed(reader, std::string(10, 'x'));
    assert_int_equal(fed.lines.size(), 0);
    fed = feed(reader, std::string(10, 'x'));
    assert_int_equal(fed.lines.size(), 1);
    assert_str_eq(fed.lines[0], "<too long>");
    assert_true(reader.partial());
    fed = feed(reader, std::string(1000, 'x'));
    assert_int_equal(fed.lines.size(), 0);
    fed = feed(reader, "yyy\nstatus\n");
    assert_int_equal(fed.lines.size(), 1);
    assert_str_eq(fed.lines[0], "status");
    assert_false(reader.partial());
    // A whole oversized line in one piece.
    fed = feed(reader, std::string(17, 'z') + "\nstats\n");
    assert_int_equal(fed.lines.size(), 2);
    assert_str_eq(fed.lines[0], "<too long>");
    assert_str_eq(fed.lines[1], "stats");
}

static void stops_when_asked(void**) {
    LineReader reader;
    std::string data = "a\nb\nc\n";
    int seen = 0;
    size_t used = reader.feed(data, [&](const LineReader::Item&) { return ++seen < 2; });
    assert_int_equal(seen, 2);
    assert_int_equal(used, 4);  // "a\nb\n"
}

static void words_and_json(void**) {
    auto p = parse_request("  conn   kill\t42 ");
    assert_true(p.request.has_value());
    assert_int_equal(p.request->words.size(), 3);
    assert_str_eq(p.request->words[2], "42");

    p = parse_request(R"({"command":"conn kill","args":["42"]})");
    assert_true(p.request.has_value());
    assert_int_equal(p.request->words.size(), 3);
    assert_str_eq(p.request->words[1], "kill");
    p = parse_request(R"({"command":"conn kill","args":[42]})");
    assert_str_eq(p.request->words[2], "42");
    p = parse_request(R"( {"command":"stats"})");
    assert_int_equal(p.request->words.size(), 1);

    assert_true(parse_request("").empty);
    assert_true(parse_request("   ").empty);
}

static void bad_requests(void**) {
    struct Case {
        std::string line;
        const char* error;
    } cases[] = {
        {"\xff\xfe", "request is not valid UTF-8"},
        {"stats\xc0\xaf", "request is not valid UTF-8"},      // overlong '/'
        {"x\xed\xa0\x80", "request is not valid UTF-8"},      // surrogate
        {"x\xf4\x90\x80\x80", "request is not valid UTF-8"},  // above U+10FFFF
        {"x\xe2\x82", "request is not valid UTF-8"},          // truncated
        {std::string("sta\0tus", 7), "request contains control characters"},
        {"{\"command\":", "request is not a valid JSON object"},
        {"{\"args\":[]}", "JSON request needs \"command\": a string"},
        {"{\"command\":7}", "JSON request needs \"command\": a string"},
        {"{\"command\":\"stats\",\"x\":1}", "JSON request: unknown member \"x\""},
        {"{\"command\":\"conn kill\",\"args\":\"42\"}", "JSON request: \"args\" must be an array"},
        {"{\"command\":\"conn kill\",\"args\":[4.5]}",
         "JSON request: every arg must be a string or an integer"},
        {"{\"command\":\" \"}", "JSON request: empty command"},
    };
    for (const auto& c : cases) {
        auto p = parse_request(c.line);
        assert_false(p.request.has_value());
        assert_false(p.empty);
        assert_str_eq(p.error, c.error);
    }
}

static void utf8(void**) {
    assert_true(valid_utf8("plain ascii"));
    assert_true(valid_utf8("gr\xc3\xbc\xc3\x9f"));             // grüß
    assert_true(valid_utf8("\xe2\x82\xac \xf0\x9f\x98\x80"));  // € 😀
    assert_false(valid_utf8("\x80"));
    assert_false(valid_utf8("\xc3"));
    assert_false(valid_utf8("\xe0\x80\xaf"));  // overlong
    assert_false(valid_utf8("\xf8\x88\x80\x80\x80"));
}

int main() {
    return run_test_group({cmocka_unit_test(frames_lines), cmocka_unit_test(byte_at_a_time),
                           cmocka_unit_test(oversized_line_is_reported_once_and_skipped),
                           cmocka_unit_test(stops_when_asked), cmocka_unit_test(words_and_json),
                           cmocka_unit_test(bad_requests), cmocka_unit_test(utf8)});
}
