#include "byte_ring.h"

#include <algorithm>
#include <cstring>

namespace smalld {

void ByteRing::grow(size_t wanted) {
    auto bigger = std::make_unique<char[]>(wanted);
    iovec parts[2];
    int n = peek(parts);
    size_t at = 0;
    for (int i = 0; i < n; ++i) {
        std::memcpy(bigger.get() + at, parts[i].iov_base, parts[i].iov_len);
        at += parts[i].iov_len;
    }
    data_ = std::move(bigger);
    capacity_ = wanted;
    head_ = 0;
}

void ByteRing::append(const char* data, size_t len, size_t limit) {
    if (len == 0) return;
    size_t need = size_ + len;
    if (need > capacity_)
        grow(std::max(need, std::min(std::max<size_t>(2 * capacity_, 4096), limit)));
    size_t tail = (head_ + size_) % capacity_;
    size_t first = std::min(len, capacity_ - tail);
    std::memcpy(data_.get() + tail, data, first);
    std::memcpy(data_.get(), data + first, len - first);
    size_ += len;
}

int ByteRing::peek(iovec out[2]) const {
    if (size_ == 0) return 0;
    size_t first = std::min(size_, capacity_ - head_);
    out[0] = {data_.get() + head_, first};
    if (first == size_) return 1;
    out[1] = {data_.get(), size_ - first};
    return 2;
}

void ByteRing::consume(size_t n) {
    n = std::min(n, size_);
    size_ -= n;
    head_ = size_ == 0 ? 0 : (head_ + n) % capacity_;
}

}  // namespace smalld
