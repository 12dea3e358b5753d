// SPDX-License-Identifier: BSD-2-Clause
// The session pool: a released block is the next one handed out (no new
// memory for a steady churn), memory is bounded by the blocks in use (whole
// slabs, the fullest filled first so the others can empty), and trim() gives
// back every empty slab but one after a burst.
#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

#include "slab_pool.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using smalld::SlabPool;

namespace {

constexpr size_t kBlock = 312;  // about a session

uintptr_t slab_of(const void* p) {
    return reinterpret_cast<uintptr_t>(p) & ~(SlabPool::kSlabBytes - 1);
}

void reuse(void**) {
    SlabPool pool(kBlock);
    void* a = pool.allocate();
    assert_non_null(a);
    assert_int_equal(reinterpret_cast<uintptr_t>(a) % alignof(std::max_align_t), 0);
    std::memset(a, 0xab, kBlock);
    pool.release(a);
    // A connect-reply-close churn: the same block again and again, one slab.
    for (int i = 0; i < 10000; ++i) {
        void* b = pool.allocate();
        assert_ptr_equal(b, a);
        pool.release(b);
    }
    assert_int_equal(pool.slabs(), 1);
    assert_int_equal(pool.in_use(), 0);
}

void bounded(void**) {
    SlabPool pool(kBlock);
    const size_t per = pool.blocks_per_slab();
    assert_true(per >= 100);  // a 64 KiB slab holds about 200 sessions
    std::vector<void*> blocks;
    std::set<void*> distinct;
    for (size_t i = 0; i < 3 * per; ++i) {
        void* p = pool.allocate();
        assert_non_null(p);
        std::memset(p, static_cast<int>(i), kBlock);  // writable, whole
        blocks.push_back(p);
        distinct.insert(p);
    }
    assert_int_equal(distinct.size(), 3 * per);
    // Exactly as many slabs as the blocks need: memory follows the blocks.
    assert_int_equal(pool.slabs(), 3);
    assert_int_equal(pool.mapped_bytes(), 3 * SlabPool::kSlabBytes);
    assert_int_equal(pool.in_use(), 3 * per);
    for (size_t i = 0; i < blocks.size(); ++i) {
        auto* bytes = static_cast<unsigned char*>(blocks[i]);
        assert_int_equal(bytes[0], static_cast<unsigned char>(i));
        assert_int_equal(bytes[kBlock - 1], static_cast<unsigned char>(i));
    }
    for (void* p : blocks) pool.release(p);
}

void gives_back_after_a_burst(void**) {
    SlabPool pool(kBlock);
    const size_t per = pool.blocks_per_slab();
    std::vector<void*> burst;
    for (size_t i = 0; i < 10 * per; ++i) burst.push_back(pool.allocate());
    assert_int_equal(pool.slabs(), 10);
    for (void* p : burst) pool.release(p);
    // Nothing is given back until the sweeper trims: a burst that comes
    // back within a sweep reuses what it had.
    assert_int_equal(pool.slabs(), 10);
    pool.trim();
    assert_int_equal(pool.slabs(), 1);  // one spare for the next burst
    assert_int_equal(pool.mapped_bytes(), SlabPool::kSlabBytes);
    pool.trim();
    assert_int_equal(pool.slabs(), 1);
    // And it still serves.
    void* p = pool.allocate();
    assert_non_null(p);
    assert_int_equal(pool.slabs(), 1);
    pool.release(p);
}

// After a burst, a few long-lived blocks are left in several slabs; new
// blocks go to the fullest slab with room, so the sparse ones can empty and
// be given back instead of each keeping a slab alive.
void fills_the_fullest_slab(void**) {
    SlabPool pool(kBlock);
    const size_t per = pool.blocks_per_slab();
    std::vector<void*> burst;
    for (size_t i = 0; i < 3 * per; ++i) burst.push_back(pool.allocate());
    std::set<uintptr_t> slabs;
    for (void* p : burst) slabs.insert(slab_of(p));
    assert_int_equal(slabs.size(), 3);
    // Keep 10 blocks of the first slab, 1 of each other.
    uintptr_t dense = slab_of(burst.front());
    std::vector<void*> kept;
    std::set<uintptr_t> sparse_kept;
    size_t dense_kept = 0;
    for (void* p : burst) {
        uintptr_t s = slab_of(p);
        if ((s == dense && dense_kept < 10) || (s != dense && !sparse_kept.count(s))) {
            kept.push_back(p);
            if (s == dense)
                ++dense_kept;
            else
                sparse_kept.insert(s);
            continue;
        }
        pool.release(p);
    }
    assert_int_equal(pool.in_use(), 12);
    pool.trim();  // the sweeper's: nothing is empty, so nothing goes
    assert_int_equal(pool.slabs(), 3);
    // Churn: every new block comes from the dense slab.
    std::vector<void*> churn;
    for (size_t i = 0; i < per - 10; ++i) {
        void* p = pool.allocate();
        assert_int_equal(slab_of(p), dense);
        churn.push_back(p);
    }
    for (void* p : churn) pool.release(p);
    // The sparse slabs empty once their one block goes.
    for (void* p : kept)
        if (slab_of(p) != dense) pool.release(p);
    pool.trim();
    // The dense slab (10 blocks) and one empty spare.
    assert_int_equal(pool.slabs(), 2);
    for (void* p : kept)
        if (slab_of(p) == dense) pool.release(p);
    pool.trim();
    assert_int_equal(pool.slabs(), 1);
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(reuse), cmocka_unit_test(bounded),
                           cmocka_unit_test(gives_back_after_a_burst),
                           cmocka_unit_test(fills_the_fullest_slab)});
}
