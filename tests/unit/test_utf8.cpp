// SPDX-License-Identifier: BSD-2-Clause
// UTF-8 checks and the \xHH escaping every text leaving the daemon goes
// through (JSON, the log, the status report, smallctl's messages).
#include <string>

#include "utf8.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;

static void valid_text_unchanged(void**) {
    for (const char* text : {"", "plain ascii", "gr\xc3\xbc\xc3\x9f",
                             "\xe2\x82\xac \xf0\x9f\x98\x80", "tab\tinside"}) {
        assert_str_eq(escape_invalid_utf8(text), text);
        assert_str_eq(escape_unprintable(text), text);
    }
}

static void invalid_bytes_escaped(void**) {
    assert_str_eq(escape_invalid_utf8("\xff\xfe"), "\\xff\\xfe");
    assert_str_eq(escape_invalid_utf8("a\x80"
                                      "b"),
                  "a\\x80b");
    assert_str_eq(escape_invalid_utf8("\xc0\xaf"), "\\xc0\\xaf");                    // overlong '/'
    assert_str_eq(escape_invalid_utf8("\xed\xa0\x80"), "\\xed\\xa0\\x80");           // surrogate
    assert_str_eq(escape_invalid_utf8("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // > U+10FFFF
    // A cut sequence: its bytes are escaped, what follows is kept.
    assert_str_eq(escape_invalid_utf8("\xe2\x82"
                                      "x\xc3\xbc"),
                  "\\xe2\\x82x\xc3\xbc");
    assert_str_eq(escape_invalid_utf8("end\xe2\x82"), "end\\xe2\\x82");
    for (const char* text : {"\xff", "a\x80", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82"}) {
        assert_false(valid_utf8(text));
        assert_true(valid_utf8(escape_invalid_utf8(text)));
    }
}

static void controls_escaped_for_logs(void**) {
    // JSON escapes control characters itself; a log line or a terminal cannot.
    assert_str_eq(escape_invalid_utf8("a\nb"), "a\nb");
    assert_str_eq(escape_unprintable("a\nb\r\x1b[2J\x7f"), "a\\x0ab\\x0d\\x1b[2J\\x7f");
    assert_str_eq(escape_unprintable(std::string("nul\0here", 8)), "nul\\x00here");
    std::string out = "prefix: ";
    append_unprintable(out, "\xff ok");
    assert_str_eq(out, "prefix: \\xff ok");
}

// Text of several lines for a terminal (smallctl's tables, smalld -T): the
// newlines stay, nothing else that could drive the terminal does.
static void lines_keep_newlines_only(void**) {
    assert_str_eq(escape_unprintable_lines("a\nb\n"), "a\nb\n");
    assert_str_eq(escape_unprintable_lines("\n\nx"), "\n\nx");
    assert_str_eq(escape_unprintable_lines("title \x1b]0;owned\x07\x1b[2J\nrow\r\n"),
                  "title \\x1b]0;owned\\x07\\x1b[2J\nrow\\x0d\n");
    assert_str_eq(escape_unprintable_lines("\xff\n\x7f"), "\\xff\n\\x7f");
}

int main() {
    return run_test_group(
        {cmocka_unit_test(valid_text_unchanged), cmocka_unit_test(invalid_bytes_escaped),
         cmocka_unit_test(controls_escaped_for_logs), cmocka_unit_test(lines_keep_newlines_only)});
}
