// SPDX-License-Identifier: BSD-2-Clause
#include "stamp_sender_peers.h"

#include <arpa/inet.h>
#include <glob.h>

#include <charconv>
#include <fstream>
#include <set>

#include "parse.h"

namespace smalld {

namespace {

bool host_name(std::string_view h) {
    if (h.empty() || h.size() > 253) return false;
    for (char c : h)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_'))
            return false;
    return h.front() != '-' && h.front() != '.';
}

bool ipv6(std::string_view h) {
    in6_addr a;
    return inet_pton(AF_INET6, std::string(h).c_str(), &a) == 1;
}

}  // namespace

StampSettings& auth_settings(InstanceConfig& instance) {
    if (instance.type == ServiceType::StampSender)
        return own_settings<StampSenderSettings>(instance).auth;
    return own_settings<StampSettings>(instance);
}

std::optional<SenderPeer> parse_peer(std::string_view text, std::string* error) {
    text = trim(text);
    SenderPeer peer;
    std::string_view target = text;
    if (size_t space = text.find_first_of(" \t"); space != std::string_view::npos) {
        peer.name = std::string(text.substr(0, space));
        target = trim(text.substr(space));
        if (target.find_first_of(" \t") != std::string_view::npos) {
            *error = "expected NAME ADDRESS[:PORT], got \"" + std::string(text) + "\"";
            return std::nullopt;
        }
    } else {
        peer.name = std::string(text);
    }
    if (target.empty()) {
        *error = "expected NAME ADDRESS[:PORT] or ADDRESS[:PORT], got nothing";
        return std::nullopt;
    }
    std::string_view host = target, port;
    if (target.front() == '[') {
        size_t close = target.find(']');
        if (close == std::string_view::npos || !ipv6(target.substr(1, close - 1)) ||
            (close + 1 < target.size() && target[close + 1] != ':')) {
            *error = "expected [IPv6 address]:PORT, got \"" + std::string(target) + "\"";
            return std::nullopt;
        }
        host = target.substr(1, close - 1);
        if (close + 1 < target.size()) port = target.substr(close + 2);
    } else if (ipv6(target)) {
        host = target;  // a bare IPv6 address: no port
    } else if (size_t colon = target.rfind(':'); colon != std::string_view::npos) {
        host = target.substr(0, colon);
        port = target.substr(colon + 1);
    }
    if (target.front() != '[' && !ipv6(host) && !host_name(host)) {
        *error = "expected an address or a host name, got \"" + std::string(host) + "\"";
        return std::nullopt;
    }
    if (!port.empty() || (target.size() && target.back() == ':')) {
        unsigned p = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
        if (ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535) {
            *error = "expected a port 1..65535, got \"" + std::string(port) + "\"";
            return std::nullopt;
        }
        peer.port = uint16_t(p);
    }
    peer.host = std::string(host);
    return peer;
}

std::optional<std::vector<SenderPeer>> parse_peer_list(std::string_view text, std::string* error) {
    std::vector<SenderPeer> peers;
    for (std::string_view item : split_list(text)) {
        auto peer = parse_peer(item, error);
        if (!peer) return std::nullopt;
        peers.push_back(std::move(*peer));
    }
    return peers;
}

std::optional<std::vector<uint32_t>> parse_sizes(std::string_view text, std::string* error) {
    std::vector<uint32_t> sizes;
    for (std::string_view item : split_list(text)) {
        auto size = parse_uint(item, 44, 9000, error);
        if (!size) return std::nullopt;
        sizes.push_back(uint32_t(*size));
    }
    if (sizes.empty() || sizes.size() > 8) {
        *error = "expected 1 to 8 sizes (44..9000 bytes), got \"" + std::string(text) + "\"";
        return std::nullopt;
    }
    return sizes;
}

std::optional<unsigned> parse_export(std::string_view text, std::string* error) {
    unsigned mask = 0;
    for (std::string_view item : split_list(text)) {
        auto bit = parse_keyword<unsigned>(item,
                                           {{"all", kExportAll},
                                            {"rtt", kExportRtt},
                                            {"network_rtt", kExportNetworkRtt},
                                            {"one_way", kExportOneWay},
                                            {"loss", kExportLoss},
                                            {"counters", kExportCounters},
                                            {"hops", kExportHops},
                                            {"clock", kExportClock},
                                            {"capacity", kExportCapacity}},
                                           error);
        if (!bit) return std::nullopt;
        mask |= *bit;
    }
    return mask;
}

void load_peers_files(const std::string& pattern, std::vector<SenderPeer>& out,
                      std::vector<ConfigError>& errors) {
    glob_t g{};
    int rc = glob(pattern.c_str(), GLOB_ERR, nullptr, &g);
    if (rc != 0 && rc != GLOB_NOMATCH) errors.push_back({pattern, 0, "peers_file: cannot read"});
    for (size_t i = 0; rc == 0 && i < g.gl_pathc; ++i) {
        std::string path = g.gl_pathv[i];
        std::ifstream in(path);
        if (!in) {
            errors.push_back({path, 0, "cannot open this peers file"});
            continue;
        }
        std::string line;
        for (int n = 1; std::getline(in, line); ++n) {
            std::string_view text = line;
            if (size_t hash = text.find('#'); hash != std::string_view::npos)
                text = text.substr(0, hash);
            if (trim(text).empty()) continue;
            std::string message;
            auto peer = parse_peer(text, &message);
            if (!peer) {
                errors.push_back({path, n, "peer: " + message});
                continue;
            }
            peer->origin = path + ":" + std::to_string(n);
            out.push_back(std::move(*peer));
        }
    }
    globfree(&g);
}

std::vector<SenderPeer> all_peers(const StampSenderSettings& settings,
                                  std::vector<ConfigError>* errors) {
    std::vector<SenderPeer> peers = settings.peers;
    peers.insert(peers.end(), settings.file_peers.begin(), settings.file_peers.end());
    std::set<std::string_view> names;
    std::vector<SenderPeer> unique;
    for (const SenderPeer& p : peers) {
        if (names.insert(p.name).second) {
            unique.push_back(p);
        } else if (errors) {
            ConfigError e{p.origin, 0, "peer \"" + p.name + "\" is named twice"};
            if (size_t colon = p.origin.rfind(':'); colon != std::string::npos) {
                e.file = p.origin.substr(0, colon);
                e.line = std::atoi(p.origin.c_str() + colon + 1);
            }
            errors->push_back(e);
        }
    }
    return unique;
}

}  // namespace smalld
