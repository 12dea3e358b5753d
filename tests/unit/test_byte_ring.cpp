// The session output queue: order across wrap-around, growth bounded by the
// high-water mark, and nothing kept once sent.
#include <string>

#include "byte_ring.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using smalld::ByteRing;

static std::string drain(ByteRing& ring, size_t at_most) {
    std::string out;
    iovec parts[2];
    int n = ring.peek(parts);
    for (int i = 0; i < n && out.size() < at_most; ++i)
        out.append(static_cast<char*>(parts[i].iov_base),
                   std::min(parts[i].iov_len, at_most - out.size()));
    ring.consume(out.size());
    return out;
}

static void keeps_order_across_wrap(void**) {
    ByteRing ring;
    std::string expected, got;
    uint64_t next = 0;
    for (int round = 0; round < 2000; ++round) {
        std::string piece(static_cast<size_t>(round % 97 + 1), '\0');
        for (auto& c : piece) c = static_cast<char>('A' + next++ % 26);
        ring.append(piece.data(), piece.size(), 8192);
        expected += piece;
        got += drain(ring, static_cast<size_t>(round % 89 + 1));
    }
    got += drain(ring, SIZE_MAX);
    assert_true(got == expected);
    assert_true(ring.empty());
}

static void growth_stops_at_the_limit(void**) {
    ByteRing ring;
    std::string block(1000, 'x');
    // A peer that takes a little and leaves most: the ring holds what is
    // owed, in no more room than the limit.
    for (int i = 0; i < 10000; ++i) {
        if (ring.size() + block.size() <= 65536) ring.append(block.data(), block.size(), 65536);
        drain(ring, 300);
        assert_true(ring.capacity() <= 65536);
    }
    assert_true(ring.size() > 60000);
    // One append larger than the limit still fits, exactly.
    ByteRing big;
    std::string huge(100000, 'y');
    big.append(huge.data(), huge.size(), 4096);
    assert_int_equal(big.capacity(), 100000);
    assert_true(drain(big, SIZE_MAX) == huge);
}

static void peek_on_empty(void**) {
    ByteRing ring;
    iovec parts[2];
    assert_int_equal(ring.peek(parts), 0);
    ring.append("abc", 3, 16);
    ring.consume(3);
    assert_int_equal(ring.peek(parts), 0);
    assert_true(ring.empty());
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keeps_order_across_wrap),
        cmocka_unit_test(growth_stops_at_the_limit),
        cmocka_unit_test(peek_on_empty),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
