// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The bytes the probe sends and the checks it applies to what comes back.
// Everything here is pure and allocation-free after construction.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace smallprobe {

// An endless byte stream that repeats with `period`, stored with enough slack
// that any window of up to kMaxWindow bytes is contiguous: sending and
// verifying are one send()/memcmp() on a slice, never a per-byte loop.
class StreamSource {
  public:
    static constexpr size_t kMaxWindow = 256 * 1024;

    // Pseudo-random bytes with a prime period, so streams started at
    // different offsets (one per connection) never line up with each other.
    static StreamSource pattern();
    // The request template back to back, for line mode.
    static StreamSource repeated(std::string_view unit);

    size_t period() const { return period_; }
    // Start of the stream at absolute offset; valid for kMaxWindow bytes.
    const uint8_t* at(uint64_t offset) const { return bytes_.data() + offset % period_; }

  private:
    std::vector<uint8_t> bytes_;
    size_t period_ = 0;
};

// Where connection `id`'s echo stream starts within the pattern.
uint64_t stream_start_for(uint32_t id, const StreamSource& source);

// One connection's (or UDP flow's) stream: the source from where it starts.
class ConnectionStream {
  public:
    ConnectionStream(const StreamSource& source, uint64_t start)
        : source_(&source), start_(start) {}
    // Connection `id`'s stream, from stream_start_for().
    static ConnectionStream of(uint32_t id, const StreamSource& source) {
        return {source, stream_start_for(id, source)};
    }
    // The stream at `offset` from its start; valid for kMaxWindow bytes.
    const uint8_t* at(uint64_t offset) const { return source_->at(start_ + offset); }

  private:
    const StreamSource* source_;
    uint64_t start_;
};

// Counts the bytes of `got` that differ from `want`; the fast path is memcmp.
uint64_t count_mismatches(const uint8_t* got, const uint8_t* want, size_t len);

// RFC 864 TCP chargen: lines of 72 printable characters then CR LF; line k
// starts with character 0x20 + (k mod 95) and continues rotating. Feed the
// stream in any chunking; mismatched() counts wrong bytes.
class ChargenVerifier {
  public:
    static constexpr size_t kLineLength = 74;  // 72 + CR LF
    static constexpr size_t kCycle = 95 * kLineLength;

    // strict: the stream must start with line 0 (" !\"#..."). Otherwise the
    // first byte picks the starting line, as some servers start elsewhere.
    explicit ChargenVerifier(bool strict) : strict_(strict) {}

    void feed(const uint8_t* data, size_t len);
    uint64_t mismatched() const { return mismatched_; }
    uint64_t bytes() const { return bytes_; }
    uint64_t lines() const { return bytes_ / kLineLength; }

  private:
    bool strict_;
    bool synced_ = false;
    size_t position_ = 0;  // offset within the 95-line cycle
    uint64_t mismatched_ = 0;
    uint64_t bytes_ = 0;
};

// UDP chargen has no line discipline to check across datagrams; every byte
// must still be printable ASCII, CR or LF. Returns the number that are not.
uint64_t count_unprintable(const uint8_t* data, size_t len);

}  // namespace smallprobe
