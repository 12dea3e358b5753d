// SPDX-License-Identifier: BSD-2-Clause
#include "stamp_sessions.h"

#include <netinet/in.h>

#include <cstring>

namespace smalld {

size_t StampSessions::KeyHash::operator()(const Key& k) const {
    // FNV-1a over the fields.
    uint64_t h = 0xcbf29ce484222325ULL;
    auto mix = [&](const void* p, size_t n) {
        for (size_t i = 0; i < n; ++i) {
            h ^= static_cast<const uint8_t*>(p)[i];
            h *= 0x100000001b3ULL;
        }
    };
    mix(k.address, sizeof k.address);
    mix(&k.port, sizeof k.port);
    mix(&k.ssid, sizeof k.ssid);
    mix(&k.family, sizeof k.family);
    return static_cast<size_t>(h);
}

void StampSessions::forget_oldest() {
    index_.erase(recent_.back().key);
    recent_.pop_back();
}

StampSessions::Key StampSessions::key_of(const SockAddr& peer, uint16_t ssid) {
    Key key;
    key.ssid = ssid;
    key.family = static_cast<uint8_t>(peer.family());
    key.port = peer.port();
    if (peer.family() == AF_INET)
        std::memcpy(key.address, &reinterpret_cast<const sockaddr_in*>(&peer.storage)->sin_addr, 4);
    else if (peer.family() == AF_INET6)
        std::memcpy(key.address, &reinterpret_cast<const sockaddr_in6*>(&peer.storage)->sin6_addr,
                    16);
    return key;
}

void StampSessions::count_dropped(const SockAddr& peer, uint16_t ssid) {
    auto it = index_.find(key_of(peer, ssid));
    if (it != index_.end()) ++it->second->received;
}

StampSessions::Count StampSessions::next_sequence(const SockAddr& peer, uint16_t ssid,
                                                  int64_t now_ms, size_t capacity, int64_t idle_ms,
                                                  StampStats& stats) {
    Key key = key_of(peer, ssid);
    // The least recently seen sessions are at the back: expire from there.
    while (!recent_.empty() && idle_ms > 0 && now_ms - recent_.back().seen_ms > idle_ms) {
        forget_oldest();
        ++stats.sessions_expired;
    }
    auto it = index_.find(key);
    if (it != index_.end()) {
        recent_.splice(recent_.begin(), recent_, it->second);
        Session& session = *it->second;
        session.seen_ms = now_ms;
        uint32_t sequence = session.next++;
        return {sequence, ++session.received, session.next};
    } else {
        if (capacity == 0) capacity = 1;
        while (index_.size() >= capacity) {
            forget_oldest();
            ++stats.sessions_evicted;
        }
        recent_.push_front({key, 1, 1, now_ms});
        index_.emplace(key, recent_.begin());
        return {0, 1, 1};
    }
}

}  // namespace smalld
