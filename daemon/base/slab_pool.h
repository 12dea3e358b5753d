// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Fixed-size blocks from 64 KiB slabs mapped straight from the kernel, so
// that a session costs no malloc() and memory a burst needed goes back to
// the system (munmap) instead of staying in the heap.
//
// Bounded: the pool holds the blocks in use, the free blocks of slabs that
// hold some of those, and at most one empty slab kept for the next burst
// after trim(). New blocks come from the fullest slab with room (as of the
// last trim, or when the current one fills), so the blocks of long-lived
// sessions gather in few slabs and the others empty. allocate() and
// release() are O(1) but when the current slab is full; that and trim()
// look at every slab (a slab holds about 200 sessions).

#include <cstddef>
#include <cstdint>

namespace smalld {

class SlabPool {
  public:
    static constexpr size_t kSlabBytes = 64 * 1024;

    // Blocks of `block_size` bytes, aligned for any object.
    explicit SlabPool(size_t block_size);
    ~SlabPool();
    SlabPool(const SlabPool&) = delete;
    SlabPool& operator=(const SlabPool&) = delete;

    // nullptr only when the kernel refuses memory.
    void* allocate();
    void release(void* block);
    // Gives back every empty slab but one, and points allocate() at the
    // fullest slab with room. The session table calls it from its sweeper.
    void trim();

    size_t in_use() const { return in_use_; }
    size_t slabs() const { return slab_count_; }
    size_t blocks_per_slab() const { return per_slab_; }
    size_t mapped_bytes() const { return slab_count_ * kSlabBytes; }

  private:
    struct Slab;
    struct FreeBlock {
        FreeBlock* next;
    };
    Slab* map_slab();
    void unmap_slab(Slab* slab);
    void link(Slab* slab);
    void unlink(Slab* slab);
    Slab* fullest_with_room() const;

    size_t stride_;    // block size, rounded up, plus the slab pointer before it
    size_t per_slab_;  // blocks in one slab
    size_t in_use_ = 0;
    size_t slab_count_ = 0;
    Slab* slabs_ = nullptr;    // every slab, doubly linked
    Slab* current_ = nullptr;  // where allocate() takes from while it has room
};

}  // namespace smalld
