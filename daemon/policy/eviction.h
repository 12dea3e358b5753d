// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Who gives up a slot when a newcomer finds an accept-based endpoint full
// (the metrics endpoint, the control socket): the pure choice behind their
// defence against slow-request floods, a per-source count of what each
// source holds, and the test of whether a long-lived reader still drains.
//
// A cap alone keeps descriptors bounded, not the endpoint available: a
// flood that sends its requests a byte at a time from enough sources holds
// every slot within its request deadline. So a newcomer at a cap closes the
// connection that has sent least of its request for longest, and is served.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>

namespace smalld {

// A connection that owes the server a request: idle between requests or
// part-way through one. Connections being answered, and streams, are never
// candidates.
struct EvictionCandidate {
    uint64_t id = 0;
    size_t request_bytes = 0;      // of its unfinished request; 0 when idle
    int64_t waiting_since_ms = 0;  // since it owed a request: its accept, or its last reply
};

// A connection waits this long before "fewest bytes" can make it a victim,
// so that a newcomer's request has time to arrive and be answered.
constexpr int64_t kEvictionGraceMs = 1000;

// The victim among `candidates` at `now_ms`: of those that have waited
// kEvictionGraceMs or more, the one with the fewest bytes of its request,
// the longest waiting of equals; when none has (a flood that reconnects
// faster than that), the longest waiting. A newcomer is thus never the
// victim while an older connection can be: by bytes alone it would be the
// first, since a flood can always have sent more than a request not yet
// read. nullopt when there is no candidate.
std::optional<uint64_t> choose_victim(std::span<const EvictionCandidate> candidates,
                                      int64_t now_ms);

// What each source (an address or /64, a uid) holds.
template <class Key, class Hash = std::hash<Key>>
class SourceCounts {
  public:
    size_t of(const Key& key) const {
        auto at = counts_.find(key);
        return at == counts_.end() ? 0 : at->second;
    }
    void add(const Key& key) { ++counts_[key]; }
    void remove(const Key& key) {
        auto at = counts_.find(key);
        if (at != counts_.end() && --at->second == 0) counts_.erase(at);
    }
    size_t sources() const { return counts_.size(); }

  private:
    std::unordered_map<Key, size_t, Hash> counts_;
};

// Whether a long-lived reader (an event stream, a monitor) still takes what
// it is sent. It stalls when output waits for it and none of it has been
// taken for kStallMs; a reader with nothing waiting is never stalled, however
// quiet the stream.
class DrainWatch {
  public:
    static constexpr int64_t kStallMs = 15'000;

    // `waiting`: bytes not yet taken by the reader (queued, or in the
    // kernel unacknowledged); `taken`: a running total of what it has taken.
    // True once the reader has stalled.
    bool stalled(size_t waiting, uint64_t taken, int64_t now_ms) {
        if (waiting == 0 || taken != taken_ || since_ms_ < 0) {
            taken_ = taken;
            since_ms_ = waiting == 0 ? -1 : now_ms;
            return false;
        }
        return now_ms - since_ms_ >= kStallMs;
    }

  private:
    uint64_t taken_ = 0;
    int64_t since_ms_ = -1;  // when output last waited with no progress since
};

}  // namespace smalld
