// SPDX-License-Identifier: BSD-2-Clause
// The session output queue: bytes come out in order however they went in and
// were taken, memory follows the bytes held (a chunk is given back as soon as
// it drains), a queue of at most one chunk's worth stays in one chunk, and the
// free list is bounded, reused without calling the allocator, and given back
// after a burst.
#include <cstdlib>
#include <new>
#include <random>
#include <string>

#include "chunk_queue.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using smalld::ChunkQueue;

// Every allocation of this test binary, counted, so a test can tell that a
// path did not allocate at all.
static size_t g_allocations = 0;
void* operator new(size_t n) {
    ++g_allocations;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, size_t) noexcept {
    std::free(p);
}

constexpr size_t C = ChunkQueue::kChunkBytes;

// Takes at most `at_most` bytes from the front, through at most `max_segments`
// segments, the way sendmsg would.
static std::string drain(ChunkQueue& q, size_t at_most, int max_segments = 64) {
    std::string out;
    iovec parts[64];
    int n = q.peek(parts, max_segments);
    for (int i = 0; i < n && out.size() < at_most; ++i)
        out.append(static_cast<char*>(parts[i].iov_base),
                   std::min(parts[i].iov_len, at_most - out.size()));
    q.consume(out.size());
    return out;
}

static size_t chunks_for(size_t bytes) {
    return (bytes + C - 1) / C;
}

static void keeps_order_under_random_appends_and_takes(void**) {
    std::mt19937 random(14);
    ChunkQueue q;
    std::string expected, got;
    uint64_t next = 0;
    for (int round = 0; round < 20000; ++round) {
        // Mostly small pieces, sometimes several chunks at once.
        size_t len = random() % 8 == 0 ? random() % (5 * C) : random() % 300;
        std::string piece(len, '\0');
        for (auto& c : piece) c = static_cast<char>('A' + next++ % 26);
        q.append(piece.data(), piece.size());
        expected += piece;
        size_t take = random() % 4 == 0 ? SIZE_MAX : random() % (2 * C);
        got += drain(q, take, 1 + int(random() % 8));
        assert_int_equal(q.size(), expected.size() - got.size());
        // Only the end chunks may be partly used.
        assert_true(q.chunks() <= chunks_for(q.size()) + 1);
    }
    got += drain(q, SIZE_MAX);
    while (!q.empty()) got += drain(q, SIZE_MAX);
    assert_true(got == expected);
    assert_int_equal(q.chunks(), 0);
}

static void memory_follows_the_bytes_held(void**) {
    size_t in_use = smalld::chunk_pool_in_use();
    ChunkQueue q;
    std::string block(10 * C + 100, 'x');
    q.append(block.data(), block.size());
    assert_int_equal(q.chunks(), 11);
    assert_int_equal(smalld::chunk_pool_in_use(), in_use + 11);
    // Each chunk goes back as soon as the peer has taken all of it.
    drain(q, C - 1);
    assert_int_equal(q.chunks(), 11);
    drain(q, 1);
    assert_int_equal(q.chunks(), 10);
    drain(q, 5 * C);
    assert_int_equal(q.chunks(), 5);
    drain(q, SIZE_MAX);
    drain(q, SIZE_MAX);
    assert_true(q.empty());
    assert_int_equal(q.chunks(), 0);
    assert_int_equal(smalld::chunk_pool_in_use(), in_use);
    // A queue dropped with bytes in it gives its chunks back too.
    {
        ChunkQueue dropped;
        dropped.append(block.data(), block.size());
    }
    assert_int_equal(smalld::chunk_pool_in_use(), in_use);
}

static void one_chunk_worth_stays_in_one_chunk(void**) {
    // A full chunk that the peer takes from a little at a time while as much
    // arrives again (output_buffer at its smallest, a slow reader): the
    // freed front is reused, no second chunk is taken.
    ChunkQueue q;
    std::string expected(C, '\0'), got;
    for (size_t i = 0; i < C; ++i) expected[i] = static_cast<char>(i % 251);
    q.append(expected.data(), expected.size());
    for (int round = 0; round < 1000; ++round) {
        size_t take = size_t(round * 37 % 1000 + 1);
        got += drain(q, take);
        std::string more(take, '\0');
        for (auto& c : more) c = static_cast<char>((expected.size()) % 251), expected += c;
        q.append(more.data(), more.size());
        assert_int_equal(q.size(), C);
        assert_int_equal(q.chunks(), 1);
    }
    while (!q.empty()) got += drain(q, SIZE_MAX);
    assert_true(got == expected);
}

static void peek_respects_the_segment_limit(void**) {
    ChunkQueue q;
    iovec parts[4];
    assert_int_equal(q.peek(parts, 4), 0);
    std::string block(3 * C, 'p');
    q.append(block.data(), block.size());
    assert_int_equal(q.peek(parts, 2), 2);
    assert_int_equal(parts[0].iov_len + parts[1].iov_len, 2 * C);
    assert_int_equal(q.peek(parts, 4), 3);
    q.consume(SIZE_MAX);  // more than held: everything, no more
    assert_true(q.empty());
    assert_int_equal(q.peek(parts, 4), 0);
}

static void steady_traffic_does_not_allocate(void**) {
    // Echo to a peer a little slower than us: every message is queued, then
    // drained. After the first round the chunks come from the free list.
    ChunkQueue q;
    std::string message(3 * C / 2, 'e');
    q.append(message.data(), message.size());
    q.consume(SIZE_MAX);
    size_t before = g_allocations;
    for (int i = 0; i < 10000; ++i) {
        q.append(message.data(), message.size());
        q.consume(message.size() / 3);
        q.consume(SIZE_MAX);
    }
    assert_int_equal(g_allocations, before);
}

static void free_list_is_bounded_and_given_back(void**) {
    smalld::chunk_pool_release();
    {
        // A burst: 1000 sessions queue a chunk each, then drain.
        std::vector<ChunkQueue> queues(1000);
        for (auto& q : queues) q.append("burst", 5);
        assert_true(smalld::chunk_pool_in_use() >= 1000);
    }
    assert_int_equal(smalld::chunk_pool_free(), smalld::kMaxFreeChunks);
    // Unused, the list shrinks to nothing within a bounded number of sweeps.
    int sweeps = 0;
    while (smalld::chunk_pool_free() > 0 && sweeps < 20) {
        smalld::chunk_pool_decay();
        ++sweeps;
    }
    assert_int_equal(smalld::chunk_pool_free(), 0);
    assert_true(sweeps <= 12);
    // What steady traffic keeps using stays: 8 chunks taken and given back
    // between every sweep are never freed.
    ChunkQueue q;
    std::string eight(8 * C, 's');
    for (int sweep = 0; sweep < 20; ++sweep) {
        q.append(eight.data(), eight.size());
        q.consume(SIZE_MAX);
        smalld::chunk_pool_decay();
    }
    assert_int_equal(smalld::chunk_pool_free(), 8);
}

int main() {
    return run_test_group({cmocka_unit_test(keeps_order_under_random_appends_and_takes),
                           cmocka_unit_test(memory_follows_the_bytes_held),
                           cmocka_unit_test(one_chunk_worth_stays_in_one_chunk),
                           cmocka_unit_test(peek_respects_the_segment_limit),
                           cmocka_unit_test(steady_traffic_does_not_allocate),
                           cmocka_unit_test(free_list_is_bounded_and_given_back)});
}
