// SPDX-License-Identifier: BSD-2-Clause
#include "chunk_queue.h"

#include <algorithm>
#include <cstring>

#if __has_include(<sanitizer/asan_interface.h>)
#include <sanitizer/asan_interface.h>  // no-op macros unless built with ASan
#else
#define ASAN_POISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif

namespace smalld {

// The live bytes of a chunk are data[head, head + size), wrapping at the end:
// only the last chunk of a queue ever wraps, as every chunk before it was
// full when its successor was taken.
struct ChunkQueue::Chunk {
    Chunk* next;
    uint32_t head;
    uint32_t size;
    char data[kChunkBytes];
};

namespace {

constexpr size_t kCapacity = ChunkQueue::kChunkBytes;

struct Pool {
    ChunkQueue::Chunk* free = nullptr;
    size_t free_count = 0;
    size_t in_use = 0;
    size_t low = 0;  // the fewest free chunks since the last decay

    ~Pool() { release(free_count); }

    ChunkQueue::Chunk* take() {
        ChunkQueue::Chunk* c = free;
        if (c) {
            ASAN_UNPOISON_MEMORY_REGION(c, sizeof *c);
            free = c->next;
            low = std::min(low, --free_count);
        } else {
            c = new ChunkQueue::Chunk;
        }
        ++in_use;
        c->next = nullptr;
        c->head = 0;
        c->size = 0;
        return c;
    }

    void give(ChunkQueue::Chunk* c) {
        --in_use;
        if (free_count >= kMaxFreeChunks) {
            delete c;
            return;
        }
        c->next = free;
        free = c;
        ++free_count;
        // A chunk in the list is not to be touched until taken again.
        ASAN_POISON_MEMORY_REGION(c, sizeof *c);
    }

    void release(size_t n) {
        for (; n > 0 && free; --n) {
            ChunkQueue::Chunk* c = free;
            ASAN_UNPOISON_MEMORY_REGION(c, sizeof *c);
            free = c->next;
            --free_count;
            delete c;
        }
        low = std::min(low, free_count);
    }
};

Pool& pool() {
    static Pool p;
    return p;
}

}  // namespace

size_t ChunkQueue::chunks() const {
    size_t n = 0;
    for (const Chunk* c = head_; c; c = c->next) ++n;
    return n;
}

void ChunkQueue::append(const char* data, size_t len) {
    while (len > 0) {
        if (!tail_ || tail_->size == kCapacity) {
            Chunk* c = pool().take();
            (tail_ ? tail_->next : head_) = c;
            tail_ = c;
        }
        Chunk& c = *tail_;
        size_t end = (c.head + c.size) % kCapacity;
        size_t room = end < c.head ? c.head - end : kCapacity - end;
        size_t n = std::min(len, room);
        std::memcpy(c.data + end, data, n);
        c.size += static_cast<uint32_t>(n);
        size_ += n;
        data += n;
        len -= n;
    }
}

int ChunkQueue::peek(iovec* out, int max) const {
    int filled = 0;
    for (const Chunk* c = head_; c && filled < max; c = c->next) {
        size_t first = std::min<size_t>(c->size, kCapacity - c->head);
        out[filled++] = {const_cast<char*>(c->data) + c->head, first};
        if (first < c->size && filled < max)
            out[filled++] = {const_cast<char*>(c->data), c->size - first};
    }
    return filled;
}

void ChunkQueue::consume(size_t n) {
    n = std::min(n, size_);
    size_ -= n;
    while (n > 0) {
        Chunk* c = head_;
        size_t taken = std::min<size_t>(n, c->size);
        c->head = static_cast<uint32_t>((c->head + taken) % kCapacity);
        c->size -= static_cast<uint32_t>(taken);
        n -= taken;
        if (c->size > 0) break;
        head_ = c->next;
        if (!head_) tail_ = nullptr;
        pool().give(c);
    }
}

size_t chunk_pool_free() {
    return pool().free_count;
}

size_t chunk_pool_in_use() {
    return pool().in_use;
}

void chunk_pool_decay() {
    Pool& p = pool();
    p.release((p.low + 1) / 2);
    p.low = p.free_count;
}

void chunk_pool_release() {
    pool().release(SIZE_MAX);
}

}  // namespace smalld
