// SPDX-License-Identifier: BSD-2-Clause
#include "admission.h"

#include <arpa/inet.h>

#include <cmath>
#include <cstring>
#include <ctime>

namespace smalld {

bool acl_allows(const std::vector<Cidr>& allow, const std::vector<Cidr>& deny,
                const SockAddr& peer) {
    for (const auto& cidr : deny)
        if (cidr.contains(peer)) return false;
    for (const auto& cidr : allow)
        if (cidr.contains(peer)) return true;
    return false;
}

namespace {

// 0.0.0.0/8, multicast 224.0.0.0/4, reserved 240.0.0.0/4 and broadcast.
bool ipv4_is_suspect(uint32_t a) {
    return (a >> 24) == 0 || (a >> 28) >= 0xE;
}

}  // namespace

bool udp_source_is_suspect(const SockAddr& peer, ServiceType type) {
    constexpr uint16_t kStampPort = 862;  // RFC 8762
    uint16_t port = peer.port();
    if ((port < 1024 && !(type == ServiceType::Stamp && port == kStampPort)) || port == 2049)
        return true;
    if (peer.family() == AF_INET) {
        uint32_t a = ntohl(reinterpret_cast<const sockaddr_in*>(&peer.storage)->sin_addr.s_addr);
        return ipv4_is_suspect(a);
    }
    if (peer.family() == AF_INET6) {
        const auto* a6 = &reinterpret_cast<const sockaddr_in6*>(&peer.storage)->sin6_addr;
        return IN6_IS_ADDR_MULTICAST(a6) || IN6_IS_ADDR_UNSPECIFIED(a6) ||
               IN6_IS_ADDR_V4MAPPED(a6) || IN6_IS_ADDR_V4COMPAT(a6);
    }
    return true;
}

bool udp_destination_is_suspect(const msghdr& received) {
    auto& h = const_cast<msghdr&>(received);
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
            c->cmsg_len >= CMSG_LEN(sizeof(in_pktinfo))) {
            in_pktinfo info;
            std::memcpy(&info, CMSG_DATA(c), sizeof info);
            uint32_t to = ntohl(info.ipi_addr.s_addr);
            return (to >> 28) >= 0xE || info.ipi_addr.s_addr != info.ipi_spec_dst.s_addr;
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
            c->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
            in6_pktinfo info;
            std::memcpy(&info, CMSG_DATA(c), sizeof info);
            return IN6_IS_ADDR_MULTICAST(&info.ipi6_addr);
        }
    }
    return false;
}

size_t udp_reply_cap(size_t request, double factor, const SockAddr& peer, size_t floor) {
    bool ipv6 =
        peer.family() == AF_INET6 &&
        !IN6_IS_ADDR_V4MAPPED(&reinterpret_cast<const sockaddr_in6*>(&peer.storage)->sin6_addr);
    size_t most = ipv6 ? 65535 - 8 : 65535 - 20 - 8;
    double allowed = std::max(double(request) * factor, double(floor));
    return allowed >= double(most) ? most : static_cast<size_t>(allowed);
}

void AdmissionState::opened(const SourceKey& source) {
    sources.opened(source);
    ++tcp_sessions;
}

void AdmissionState::closed(const SourceKey& source) {
    sources.closed(source);
    if (tcp_sessions > 0) --tcp_sessions;
}

ConnectionDecision admit_connection(const InstanceConfig& config, AdmissionState& state,
                                    const ConnectionRequest& request) {
    auto refuse = [](RejectReason reason) { return ConnectionDecision{false, reason}; };
    if (!acl_allows(config, request.peer)) return refuse(RejectReason::Acl);
    if (request.daemon_max && request.daemon_sessions >= request.daemon_max)
        return refuse(RejectReason::Limit);
    if (config.max_connections && state.tcp_sessions >= config.max_connections)
        return refuse(RejectReason::Limit);
    SourceKey source = source_key(request.peer);
    if (!state.sources.can_open(source, config.per_source)) return refuse(RejectReason::PerSource);
    if (!state.sources.take_token(source, config.rate, request.now_ms))
        return refuse(RejectReason::Rate);
    return {};
}

DatagramDecision admit_datagram(const InstanceConfig& config, size_t reply_floor,
                                AdmissionState& state, const DatagramRequest& request) {
    auto drop = [](DropReason reason, const char* loop = nullptr) {
        return DatagramDecision{false, reason, 0, loop};
    };
    bool guard = config.udp_loop_guard;
    if (guard && (udp_source_is_suspect(request.peer, config.type) ||
                  udp_destination_is_suspect(request.received)))
        return drop(DropReason::Loop);
    if (guard && request.own && request.own->contains(request.peer, request.local, request.now_ms))
        return drop(DropReason::Loop, "from a UDP socket of this smalld");
    if (!acl_allows(config, request.peer)) return drop(DropReason::Acl);
    if (!state.sources.take_token(source_key(request.peer), config.rate, request.now_ms))
        return drop(DropReason::Rate);
    DatagramDecision admitted{
        true, DropReason::Count,
        udp_reply_cap(request.length, config.udp_amplification, request.peer, reply_floor)};
    if (guard && request.payload) {
        admitted.payload_hash = payload_hash({request.payload, request.length});
        auto check = state.bounces.check(request.peer, admitted.payload_hash, request.arrival_ns);
        if (check.drop) return drop(DropReason::Loop, "the same datagram keeps coming back");
        admitted.bounce = check.bounce;
    }
    return admitted;
}

int64_t monotonic_ms() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

SourceTable::Entry& SourceTable::entry(const SourceKey& key, int64_t now_ms) {
    auto it = entries_.find(key);
    if (it != entries_.end()) return it->second;
    if (entries_.size() >= capacity_) evict(now_ms);
    return entries_[key];
}

void SourceTable::evict(int64_t now_ms) {
    // Sources with sessions stay. Halving keeps this amortised: at most three
    // scans per capacity/2 new sources.
    auto forget = [&](auto forgettable) {
        for (auto it = entries_.begin(); it != entries_.end() && entries_.size() > capacity_ / 2;) {
            if (it->second.sessions == 0 && forgettable(it->second))
                it = entries_.erase(it);
            else
                ++it;
        }
    };
    forget([&](const Entry& e) { return now_ms >= e.full_ms; });    // as good as new
    forget([&](const Entry& e) { return now_ms >= e.usable_ms; });  // not throttled
    forget([](const Entry&) { return true; });                      // a flood of throttled sources
}

bool SourceTable::take_token(const SourceKey& key, const Rate& rate, int64_t now_ms) {
    if (rate.per_second <= 0) return true;
    Entry& e = entry(key, now_ms);
    double burst = std::max(rate.burst, 1.0);
    if (!e.bucket_used) {
        e.bucket_used = true;
        e.tokens = burst;
        e.refilled_ms = now_ms;
    } else if (now_ms > e.refilled_ms) {
        e.tokens =
            std::min(burst, e.tokens + rate.per_second * double(now_ms - e.refilled_ms) / 1000.0);
        e.refilled_ms = now_ms;
    }
    bool admitted = e.tokens >= 1.0;
    if (admitted) e.tokens -= 1.0;
    auto after = [&](double tokens) {
        return now_ms + static_cast<int64_t>(std::ceil(tokens * 1000.0 / rate.per_second));
    };
    e.usable_ms = e.tokens >= 1.0 ? now_ms : after(1.0 - e.tokens);
    e.full_ms = after(burst - e.tokens);
    return admitted;
}

bool SourceTable::can_open(const SourceKey& key, unsigned per_source) const {
    if (per_source == 0) return true;
    auto it = entries_.find(key);
    return it == entries_.end() || it->second.sessions < per_source;
}

void SourceTable::opened(const SourceKey& key) {
    ++entry(key, monotonic_ms()).sessions;
}

void SourceTable::closed(const SourceKey& key) {
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.sessions == 0) return;
    // The entry stays, as a rate bucket does, until the table needs room
    // (evict() forgets idle sources first): a source that connects one query
    // at a time reuses it instead of allocating it again on every connection.
    --it->second.sessions;
}

}  // namespace smalld
