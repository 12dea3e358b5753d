// SPDX-License-Identifier: BSD-2-Clause
#include "address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace smalld {

uint16_t SockAddr::port() const {
    if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
    if (family() == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
    return 0;
}

void SockAddr::set_port(uint16_t port) {
    if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(port);
    if (family() == AF_INET6) reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(port);
}

std::string SockAddr::host() const {
    char buf[INET6_ADDRSTRLEN] = "?";
    if (family() == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, buf,
                  sizeof buf);
    else if (family() == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, buf,
                  sizeof buf);
    return buf;
}

std::string SockAddr::to_string() const {
    if (family() == AF_INET6) return "[" + host() + "]:" + std::to_string(port());
    return host() + ":" + std::to_string(port());
}

std::span<const uint8_t> SockAddr::address_bytes() const {
    if (family() == AF_INET)
        return {reinterpret_cast<const uint8_t*>(
                    &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr),
                4};
    if (family() == AF_INET6)
        return {reinterpret_cast<const uint8_t*>(
                    &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr),
                16};
    return {};
}

bool SockAddr::operator==(const SockAddr& other) const {
    if (family() != other.family() || port() != other.port()) return false;
    if (family() == AF_INET)
        return reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr.s_addr ==
               reinterpret_cast<const sockaddr_in*>(&other.storage)->sin_addr.s_addr;
    if (family() == AF_INET6)
        return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr,
                           &reinterpret_cast<const sockaddr_in6*>(&other.storage)->sin6_addr,
                           16) == 0;
    return len == other.len;
}

bool SockAddr::is_wildcard() const {
    if (family() == AF_INET)
        return reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr.s_addr == INADDR_ANY;
    return family() == AF_INET6 &&
           IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr);
}

bool SockAddr::overlaps(const SockAddr& other) const {
    if (family() != other.family() || port() != other.port()) return false;
    return is_wildcard() || other.is_wildcard() || *this == other;
}

SockAddr SockAddr::from(const sockaddr* sa, socklen_t len) {
    SockAddr out;
    out.len = std::min<socklen_t>(len, sizeof out.storage);
    std::memcpy(&out.storage, sa, out.len);
    return out;
}

namespace {

bool parse_ip(std::string_view text, int* family, uint8_t bytes[16]) {
    std::string s(text);
    if (inet_pton(AF_INET, s.c_str(), bytes) == 1) {
        *family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, s.c_str(), bytes) == 1) {
        *family = AF_INET6;
        return true;
    }
    return false;
}

template <typename T>
bool parse_number(std::string_view text, T* out) {
    if (text.empty()) return false;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

std::optional<SockAddr> parse_endpoint(std::string_view text, std::string* error) {
    std::string_view host, port_text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            *error = "expected [IPV6]:PORT, got \"" + std::string(text) + "\"";
            return std::nullopt;
        }
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon) {
            *error = "expected ADDRESS:PORT (IPv6 in brackets), got \"" + std::string(text) + "\"";
            return std::nullopt;
        }
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    }
    unsigned port = 0;
    if (!parse_number(port_text, &port) || port > 65535) {
        *error = "port must be 0-65535, got \"" + std::string(port_text) + "\"";
        return std::nullopt;
    }
    int family = 0;
    uint8_t bytes[16];
    if (!parse_ip(host, &family, bytes)) {
        *error = "not an IP address: \"" + std::string(host) + "\"";
        return std::nullopt;
    }
    if (family == AF_INET6 && text.front() != '[') {
        *error = "IPv6 addresses need brackets: \"[" + std::string(host) +
                 "]:" + std::string(port_text) + "\"";
        return std::nullopt;
    }
    SockAddr out;
    if (family == AF_INET) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&out.storage);
        sin->sin_family = AF_INET;
        std::memcpy(&sin->sin_addr, bytes, 4);
        out.len = sizeof(sockaddr_in);
    } else {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
        sin6->sin6_family = AF_INET6;
        std::memcpy(&sin6->sin6_addr, bytes, 16);
        out.len = sizeof(sockaddr_in6);
    }
    out.set_port(static_cast<uint16_t>(port));
    return out;
}

std::optional<Cidr> parse_cidr(std::string_view text, std::string* error) {
    Cidr out;
    auto slash = text.find('/');
    std::string_view host = text.substr(0, slash);
    if (!parse_ip(host, &out.family, out.bytes)) {
        *error = "not an address or prefix: \"" + std::string(text) + "\"";
        return std::nullopt;
    }
    unsigned max_len = out.family == AF_INET ? 32 : 128;
    out.prefix_len = max_len;
    if (slash != std::string_view::npos &&
        (!parse_number(text.substr(slash + 1), &out.prefix_len) || out.prefix_len > max_len)) {
        *error = "prefix length must be 0-" + std::to_string(max_len) + ": \"" + std::string(text) +
                 "\"";
        return std::nullopt;
    }
    // Clear host bits so that equal prefixes compare equal.
    for (unsigned bit = out.prefix_len; bit < max_len; ++bit)
        out.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
    return out;
}

namespace {

// The peer's address bytes, with IPv4-mapped IPv6 unwrapped to IPv4.
bool peer_bytes(const SockAddr& addr, int* family, const uint8_t** bytes) {
    if (addr.family() == AF_INET) {
        *family = AF_INET;
        *bytes = reinterpret_cast<const uint8_t*>(
            &reinterpret_cast<const sockaddr_in*>(&addr.storage)->sin_addr);
        return true;
    }
    if (addr.family() == AF_INET6) {
        const auto* a6 = &reinterpret_cast<const sockaddr_in6*>(&addr.storage)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) {
            *family = AF_INET;
            *bytes = a6->s6_addr + 12;
        } else {
            *family = AF_INET6;
            *bytes = a6->s6_addr;
        }
        return true;
    }
    return false;
}

}  // namespace

bool Cidr::contains(const SockAddr& addr) const {
    int peer_family;
    const uint8_t* peer;
    if (!peer_bytes(addr, &peer_family, &peer) || peer_family != family) return false;
    unsigned full = prefix_len / 8, rest = prefix_len % 8;
    if (std::memcmp(peer, bytes, full) != 0) return false;
    if (rest == 0) return true;
    uint8_t mask = static_cast<uint8_t>(0xff00u >> rest);
    return (peer[full] & mask) == (bytes[full] & mask);
}

std::string Cidr::to_string() const {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(family, bytes, buf, sizeof buf);
    return std::string(buf) + "/" + std::to_string(prefix_len);
}

SourceKey source_key(const SockAddr& addr) {
    int family;
    const uint8_t* bytes;
    SourceKey key;
    if (!peer_bytes(addr, &family, &bytes)) return key;
    if (family == AF_INET) {
        uint32_t v4;
        std::memcpy(&v4, bytes, 4);
        key.lo = 0xffff00000000ULL | ntohl(v4);
    } else {
        std::memcpy(&key.hi, bytes, 8);  // the /64
        key.lo = 1;                      // distinct from every IPv4 key
    }
    return key;
}

}  // namespace smalld
