// SPDX-License-Identifier: BSD-2-Clause
// smallprobe's accounting of UDP datagrams, from sequences of sends and
// replies alone: every datagram sent is received or lost, once, whatever the
// order of the replies, their copies, or a closed loop giving up on one and
// its reply coming later; and --max-loss's limit and its parsing.

#include <string>

// Before cmocka.h, whose fail() macro would rewrite option_values.h's fail().
#include "datagram_ledger.h"
#include "option_values.h"

#include "../cmocka.hpp"

using namespace smallprobe;

namespace {

using Reply = DatagramLedger::Reply;

void test_every_datagram_answered(void**) {
    DatagramLedger ledger;
    for (uint64_t seq = 0; seq < 100; ++seq) ledger.sent(seq);
    assert_false(ledger.settled());
    // Out of order: the accounting does not care.
    for (uint64_t seq = 100; seq-- > 0;) assert_int_equal(ledger.reply(seq), Reply::InTime);
    assert_int_equal(ledger.sent_count(), 100);
    assert_int_equal(ledger.received(), 100);
    assert_int_equal(ledger.lost(), 0);
    assert_true(ledger.settled());
}

void test_tail_loss_is_lost(void**) {
    // The last ten never come back (the rate limit of the issue): with no
    // later reply to reveal the gap, they are lost all the same.
    DatagramLedger ledger;
    for (uint64_t seq = 0; seq < 50; ++seq) ledger.sent(seq);
    for (uint64_t seq = 0; seq < 40; ++seq) ledger.reply(seq);
    assert_int_equal(ledger.received(), 40);
    assert_int_equal(ledger.lost(), 10);
    assert_false(ledger.settled());
}

void test_duplicates_count_once(void**) {
    DatagramLedger ledger;
    ledger.sent(0);
    ledger.sent(1);
    ledger.sent(1);  // the same datagram handed over twice is one datagram
    assert_int_equal(ledger.sent_count(), 2);
    assert_int_equal(ledger.reply(1), Reply::InTime);
    assert_int_equal(ledger.reply(1), Reply::Duplicate);
    assert_int_equal(ledger.reply(1), Reply::Duplicate);
    assert_int_equal(ledger.received(), 1);
    assert_int_equal(ledger.duplicates(), 2);
    assert_int_equal(ledger.lost(), 1);
}

void test_late_reply_after_resend(void**) {
    // The closed loop gives up on 3 and sends 4 in its place; 3's reply then
    // comes after all: received late, not lost, and not counted twice.
    DatagramLedger ledger;
    for (uint64_t seq = 0; seq < 4; ++seq) ledger.sent(seq);
    for (uint64_t seq = 0; seq < 3; ++seq) ledger.reply(seq);
    ledger.gave_up(3);
    ledger.sent(4);
    assert_int_equal(ledger.lost(), 2);
    assert_int_equal(ledger.reply(4), Reply::InTime);
    assert_int_equal(ledger.reply(3), Reply::Late);
    assert_int_equal(ledger.reply(3), Reply::Duplicate);
    assert_int_equal(ledger.received(), 5);
    assert_int_equal(ledger.late(), 1);
    assert_int_equal(ledger.duplicates(), 1);
    assert_int_equal(ledger.lost(), 0);
    assert_true(ledger.settled());
    // Giving up on one already answered changes nothing.
    ledger.gave_up(0);
    assert_int_equal(ledger.late(), 1);
}

void test_reply_to_unsent(void**) {
    DatagramLedger ledger;
    ledger.sent(0);
    assert_int_equal(ledger.reply(1), Reply::Unsent);
    assert_int_equal(ledger.reply(1u << 20), Reply::Unsent);
    assert_int_equal(ledger.received(), 0);
    assert_int_equal(ledger.lost(), 1);
}

void test_max_loss(void**) {
    assert_true(loss_percent(3000, 2001) > 66.69 && loss_percent(3000, 2001) < 66.71);
    assert_true(loss_percent(0, 0) == 0.0);
    assert_false(loss_exceeds(100, 50, -1));  // no --max-loss: loss is no error
    assert_true(loss_exceeds(100, 1, 0));
    assert_false(loss_exceeds(100, 0, 0));
    assert_false(loss_exceeds(100, 5, 5));  // above, not at
    assert_true(loss_exceeds(100, 6, 5));
    assert_false(loss_exceeds(0, 0, 0));
    double pct = -1;
    std::string error;
    assert_true(parse_max_loss_option("0", &pct, &error) && pct == 0.0);
    assert_true(parse_max_loss_option("2.5%", &pct, &error) && pct == 2.5);
    assert_true(parse_max_loss_option("100", &pct, &error) && pct == 100.0);
    for (const char* bad : {"", "%", "-1", "101", "5x", "nan", " 5", "+5"}) {
        assert_false(parse_max_loss_option(bad, &pct, &error));
        assert_true(error.find("--max-loss") != std::string::npos);
    }
}

}  // namespace

int main() {
    return run_test_group(
        {cmocka_unit_test(test_every_datagram_answered), cmocka_unit_test(test_tail_loss_is_lost),
         cmocka_unit_test(test_duplicates_count_once),
         cmocka_unit_test(test_late_reply_after_resend), cmocka_unit_test(test_reply_to_unsent),
         cmocka_unit_test(test_max_loss)});
}
