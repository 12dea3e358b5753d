// SPDX-License-Identifier: BSD-2-Clause
#include "eviction.h"

#include <tuple>

namespace smalld {

std::optional<uint64_t> choose_victim(std::span<const EvictionCandidate> candidates,
                                      int64_t now_ms) {
    const EvictionCandidate* victim = nullptr;
    bool victim_seasoned = false;
    for (const EvictionCandidate& c : candidates) {
        bool seasoned = now_ms - c.waiting_since_ms >= kEvictionGraceMs;
        if (!victim) {
            victim = &c;
            victim_seasoned = seasoned;
            continue;
        }
        // Seasoned before unseasoned; among seasoned, fewest bytes first;
        // then the longest waiting, then the lowest id (the first accepted).
        auto rank = [](const EvictionCandidate& x, bool s) {
            return std::make_tuple(!s, s ? x.request_bytes : 0, x.waiting_since_ms, x.id);
        };
        if (rank(c, seasoned) < rank(*victim, victim_seasoned)) {
            victim = &c;
            victim_seasoned = seasoned;
        }
    }
    if (!victim) return std::nullopt;
    return victim->id;
}

}  // namespace smalld
