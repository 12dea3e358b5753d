#pragma once
// A session's output queue: a ring of bytes that holds only what is still
// owed to the peer, and grows to at most the high-water mark (or what a
// single append needs), so its memory is bounded by the configured mark
// however the peer reads.

#include <sys/uio.h>

#include <cstddef>
#include <memory>

namespace smalld {

class ByteRing {
  public:
    size_t size() const { return size_; }
    size_t capacity() const { return capacity_; }
    bool empty() const { return size_ == 0; }

    // Appends `len` bytes, growing the ring by doubling but never past
    // max(limit, size() + len).
    void append(const char* data, size_t len, size_t limit);
    // The oldest bytes as at most two segments, for writev/sendmsg; returns
    // how many segments are filled.
    int peek(iovec out[2]) const;
    // Drops the `n` oldest bytes (n <= size()).
    void consume(size_t n);

  private:
    void grow(size_t wanted);

    std::unique_ptr<char[]> data_;
    size_t capacity_ = 0;
    size_t head_ = 0;
    size_t size_ = 0;
};

}  // namespace smalld
