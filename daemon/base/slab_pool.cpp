// SPDX-License-Identifier: BSD-2-Clause
#include "slab_pool.h"

#include <sys/mman.h>

#include <cassert>
#include <cstdint>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POOL_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define POOL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POOL_POISON(p, n) ((void)(p), (void)(n))
#define POOL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace smalld {

namespace {
constexpr size_t kAlign = alignof(std::max_align_t);
constexpr size_t round_up(size_t n, size_t to) {
    return (n + to - 1) / to * to;
}
}  // namespace

// The head of a slab. Slabs are aligned to their size, so a block finds its
// slab by masking its address: no per-block header.
struct SlabPool::Slab {
    Slab* prev = nullptr;
    Slab* next = nullptr;
    FreeBlock* free = nullptr;  // released blocks
    size_t used = 0;
    size_t untouched = 0;  // blocks never handed out start here
};

namespace {
constexpr size_t kFirstBlock = 64;  // the Slab head, rounded up
}  // namespace

SlabPool::SlabPool(size_t block_size) {
    static_assert(sizeof(Slab) <= kFirstBlock);
    stride_ = round_up(block_size < sizeof(FreeBlock) ? sizeof(FreeBlock) : block_size, kAlign);
    per_slab_ = (kSlabBytes - kFirstBlock) / stride_;
    assert(per_slab_ > 0);
}

SlabPool::~SlabPool() {
    while (slabs_) unmap_slab(slabs_);
}

SlabPool::Slab* SlabPool::map_slab() {
    // Twice the size, then the unaligned ends are given back.
    size_t span = 2 * kSlabBytes;
    void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return nullptr;
    auto start = reinterpret_cast<uintptr_t>(raw);
    uintptr_t aligned = round_up(start, kSlabBytes);
    if (aligned > start) munmap(raw, aligned - start);
    uintptr_t end = start + span, used_end = aligned + kSlabBytes;
    if (end > used_end) munmap(reinterpret_cast<void*>(used_end), end - used_end);
    auto* slab = new (reinterpret_cast<void*>(aligned)) Slab;
    POOL_POISON(reinterpret_cast<char*>(aligned) + kFirstBlock, kSlabBytes - kFirstBlock);
    link(slab);
    ++slab_count_;
    return slab;
}

void SlabPool::unmap_slab(Slab* slab) {
    unlink(slab);
    if (current_ == slab) current_ = nullptr;
    --slab_count_;
    POOL_UNPOISON(slab, kSlabBytes);
    munmap(slab, kSlabBytes);
}

void SlabPool::link(Slab* slab) {
    slab->prev = nullptr;
    slab->next = slabs_;
    if (slabs_) slabs_->prev = slab;
    slabs_ = slab;
}

void SlabPool::unlink(Slab* slab) {
    if (slab->prev)
        slab->prev->next = slab->next;
    else
        slabs_ = slab->next;
    if (slab->next) slab->next->prev = slab->prev;
}

SlabPool::Slab* SlabPool::fullest_with_room() const {
    Slab* best = nullptr;
    for (Slab* s = slabs_; s; s = s->next)
        if (s->used < per_slab_ && (!best || s->used > best->used)) best = s;
    return best;
}

void* SlabPool::allocate() {
    if (!current_ || current_->used == per_slab_) {
        current_ = fullest_with_room();
        if (!current_) current_ = map_slab();
        if (!current_) return nullptr;
    }
    Slab* slab = current_;
    char* block;
    if (slab->free) {
        block = reinterpret_cast<char*>(slab->free);
        POOL_UNPOISON(block, sizeof(FreeBlock));
        slab->free = slab->free->next;
    } else {
        block = reinterpret_cast<char*>(slab) + kFirstBlock + slab->untouched * stride_;
        ++slab->untouched;
    }
    ++slab->used;
    ++in_use_;
    POOL_UNPOISON(block, stride_);
    return block;
}

void SlabPool::release(void* block) {
    if (!block) return;
    auto* slab = reinterpret_cast<Slab*>(reinterpret_cast<uintptr_t>(block) & ~(kSlabBytes - 1));
    auto* node = static_cast<FreeBlock*>(block);
    node->next = slab->free;
    slab->free = node;
    POOL_POISON(static_cast<char*>(block) + sizeof(FreeBlock), stride_ - sizeof(FreeBlock));
    --slab->used;
    --in_use_;
}

void SlabPool::trim() {
    bool kept = false;
    for (Slab* s = slabs_; s;) {
        Slab* next = s->next;
        if (s->used == 0) {
            if (kept)
                unmap_slab(s);
            else
                kept = true;
        }
        s = next;
    }
    // Releases since the last trim may have left a fuller slab than the
    // current one: fill that, so the sparse ones can empty.
    current_ = fullest_with_room();
}

}  // namespace smalld
