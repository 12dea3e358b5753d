// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A session's output queue: a chain of fixed-size chunks holding only what is
// still owed to the peer. A chunk is taken when bytes arrive and given back as
// soon as the peer has taken all of it, so a queue's memory is the bytes it
// holds rounded up to its chunks (at most one partly used chunk at each end),
// never the blocks of a buffer it outgrew. The last chunk is a small ring: a
// queue that never holds more than one chunk's worth stays in one chunk however
// the peer reads.
//
// Chunks come from a free list shared by the process (one thread), so a queue
// that fills and drains with every message does not call malloc each time;
// chunk_pool_decay() gives back what a burst left in the list.

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>

namespace smalld {

class ChunkQueue {
  public:
    // Bytes of data in a chunk: output_buffer's smallest setting, so at that
    // setting a session's queue is one chunk.
    static constexpr size_t kChunkBytes = 4096;

    ChunkQueue() = default;
    ~ChunkQueue() { clear(); }
    ChunkQueue(const ChunkQueue&) = delete;
    ChunkQueue& operator=(const ChunkQueue&) = delete;

    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    // How many chunks the queue holds now.
    size_t chunks() const;

    // Appends `len` bytes, taking chunks as needed.
    void append(const char* data, size_t len);
    // The oldest bytes, in order, as at most `max` segments for writev or
    // sendmsg; returns how many segments it filled.
    int peek(iovec* out, int max) const;
    // Drops the `n` oldest bytes (at most size()), giving back every chunk
    // that empties.
    void consume(size_t n);
    // Drops everything.
    void clear() { consume(size_); }

    struct Chunk;

  private:
    Chunk* head_ = nullptr;  // the oldest bytes
    Chunk* tail_ = nullptr;  // where new bytes go
    size_t size_ = 0;
};

// The free list shared by every queue: at most kMaxFreeChunks chunks (1 MiB),
// kept for reuse; the rest goes back to the allocator at once.
inline constexpr size_t kMaxFreeChunks = 256;
// Chunks in the free list now.
size_t chunk_pool_free();
// Chunks handed out to queues now.
size_t chunk_pool_in_use();
// Called periodically (the session sweep): frees half of the chunks that
// stayed in the free list, unused, since the last call, so the list shrinks
// to nothing within seconds of a burst and holds only what steady traffic
// keeps reusing.
void chunk_pool_decay();
// Frees every chunk in the free list (shutdown, tests).
void chunk_pool_release();

}  // namespace smalld
