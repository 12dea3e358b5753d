// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Socket addresses and CIDR prefixes: parsing, formatting, matching.

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace smalld {

// An IPv4 or IPv6 socket address, stored by value.
struct SockAddr {
    sockaddr_storage storage{};
    socklen_t len = 0;

    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
    sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
    int family() const { return storage.ss_family; }
    uint16_t port() const;
    void set_port(uint16_t port);
    // "127.0.0.1:7" or "[::1]:7".
    std::string to_string() const;
    // Address only: "127.0.0.1" or "::1".
    std::string host() const;
    // The address in network order: 4 or 16 bytes (empty for another family).
    std::span<const uint8_t> address_bytes() const;
    bool operator==(const SockAddr& other) const;
    // 0.0.0.0 or ::, any port.
    bool is_wildcard() const;
    // Whether two sockets bound to these could not coexist: the same family
    // and port, and the same address or a wildcard on either side (IPv6
    // sockets here are IPv6-only, so [::] and 0.0.0.0 do not overlap).
    bool overlaps(const SockAddr& other) const;

    static SockAddr from(const sockaddr* sa, socklen_t len);
};

// Parses "ADDRESS:PORT" where ADDRESS is a dotted IPv4 address or a bracketed
// IPv6 address ("[::1]:7"). Returns nullopt and sets *error on failure.
std::optional<SockAddr> parse_endpoint(std::string_view text, std::string* error);

// An address prefix such as 10.0.0.0/8 or fc00::/7. A bare address is a host
// prefix (/32 or /128). IPv4-mapped IPv6 peers match IPv4 prefixes.
struct Cidr {
    int family = AF_INET;
    uint8_t bytes[16]{};
    unsigned prefix_len = 0;

    bool contains(const SockAddr& addr) const;
    std::string to_string() const;
    bool operator==(const Cidr&) const = default;
};

std::optional<Cidr> parse_cidr(std::string_view text, std::string* error);

// Key for per-source accounting: the IPv4 address, or the IPv6 /64 prefix.
struct SourceKey {
    uint64_t hi = 0;  // IPv6: first 64 bits; IPv4: 0
    uint64_t lo = 0;  // IPv4: 0xffff00000000 | address (mapped form)
    bool operator==(const SourceKey&) const = default;
};
SourceKey source_key(const SockAddr& addr);

struct SourceKeyHash {
    size_t operator()(const SourceKey& k) const noexcept {
        return static_cast<size_t>((k.hi * 0x9E3779B97F4A7C15ULL) ^
                                   (k.lo + 0x632BE59BD9B4E019ULL + (k.hi << 6) + (k.hi >> 2)));
    }
};

}  // namespace smalld
