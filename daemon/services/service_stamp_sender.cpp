// SPDX-License-Identifier: BSD-2-Clause
// The stamp-sender type: its keys, the check across them, and its row in the
// catalogue. It listens on nothing: the daemon's sender
// (daemon/net/stamp_sender.cpp) sends to its peers and reads their replies;
// the measuring is the STAMP core's (stamp/stamp_sender.h).
#include "dscp.h"
#include "parse.h"
#include "sender_session.h"
#include "service_registry.h"
#include "services.h"
#include "stamp_sender_peers.h"

namespace smalld {

extern const KeySpec kStampAuthKey;
extern const KeySpec kStampKeyFileKey;

namespace {

StampSenderSettings& own(InstanceConfig* i) {
    return own_settings<StampSenderSettings>(*i);
}

// A duration of `min_ms` to `max_ms`, `range` saying so in the error.
std::optional<Duration> bounded(std::string_view v, int64_t min_ms, int64_t max_ms,
                                const char* range, std::string* e) {
    auto d = parse_duration(v, e);
    if (d && (d->count() < min_ms || d->count() > max_ms)) {
        *e = std::string("expected ") + range + ", got \"" + std::string(v) + "\"";
        return std::nullopt;
    }
    return d;
}

const KeySpec kPeersKey{
    Scope::Instance,
    "peers",
    "",
    "stamp-sender: list of NAME ADDRESS[:PORT] or ADDRESS[:PORT] ([IPv6]:PORT; port 862 by "
    "default; ADDRESS may be a host name)",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        return assign(own(i).peers, parse_peer_list(v, e));
    }};

const KeySpec kPeersFileKey{
    Scope::Instance,
    "peers_file",
    "",
    "stamp-sender: a glob of files, one peer a line ('#' comments), read at start and reload",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string*) -> bool {
        own(i).peers_file = std::string(v);
        return true;
    }};

const KeySpec kIntervalKey{
    Scope::Instance,
    "interval",
    "1s",
    "stamp-sender: between two packets to a peer, 10ms..1h; sends spread evenly and jittered",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        return assign(own(i).interval, bounded(v, 10, 3'600'000, "10ms to 1h", e));
    }};

const KeySpec kSizeKey{
    Scope::Instance,
    "size",
    "60",
    "stamp-sender: UDP payload bytes, or a list of up to 8 sizes sent in turn (the propagation "
    "and bottleneck estimate)",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        return assign(own(i).sizes, parse_sizes(v, e));
    }};

const KeySpec kDscpKey{Scope::Instance,
                       "dscp",
                       "be",
                       "stamp-sender: the packets' DSCP: ef, afXY, csN, le, be or 0..63",
                       0,
                       [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
                           auto d = stamp::parse_dscp(v);
                           if (!d)
                               *e = "expected ef, afXY, csN, le, be or 0..63, got \"" +
                                    std::string(v) + "\"";
                           return assign(own(i).dscp, d);
                       }};

const KeySpec kWindowKey{
    Scope::Instance,
    "window",
    "60s",
    "stamp-sender: the window of the quantiles smallctl peers shows",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        return assign(own(i).window, bounded(v, 1000, 86'400'000, "1s to 24h", e));
    }};

const KeySpec kTimeoutKey{
    Scope::Instance,
    "timeout",
    "3s",
    "stamp-sender: a packet not answered this long after it was sent is lost",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        return assign(own(i).timeout, bounded(v, 10, 3'600'000, "10ms to 1h", e));
    }};

const KeySpec kExportKey{
    Scope::Instance,
    "export",
    "all",
    "stamp-sender: the per-peer families exported: rtt, network_rtt, one_way, loss, counters, "
    "hops, clock, capacity or all (smalld_stamp_peer_up always)",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        return assign(own(i).exported, parse_export(v, e));
    }};

const KeySpec kReceiveBufferKey{
    Scope::Instance,
    "receive_buffer",
    "4m",
    "stamp-sender: the replies' socket buffer asked of the kernel, 64k..64m (capped at "
    "net.core.rmem_max without CAP_NET_ADMIN); what it drops when full is counted",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        auto bytes = parse_size(v, 64 * 1024, 64 * 1024 * 1024, e);
        if (bytes) own(i).receive_buffer = int(*bytes);
        return bool(bytes);
    }};

const KeySpec* const kKeys[] = {&kPeersKey,     &kPeersFileKey,    &kIntervalKey,     &kSizeKey,
                                &kStampAuthKey, &kStampKeyFileKey, &kDscpKey,         &kWindowKey,
                                &kTimeoutKey,   &kExportKey,       &kReceiveBufferKey};

std::string check(const InstanceConfig& config) {
    const auto& s = own_settings<StampSenderSettings>(config);
    if (s.auth.auth == StampAuth::Optional)
        return "auth = optional is for a reflector; a sender "
               "is none or required";
    if (s.auth.auth == StampAuth::Required && s.auth.key.empty())
        return "auth = required needs key_file";
    // Every packet that may still be answered needs its slot: else one would
    // be settled as lost before its timeout, our bound shown as the path's loss.
    if (size_t(s.timeout / s.interval) + 2 > stamp::kMaxOutstanding)
        return "timeout / interval must be at most " + std::to_string(stamp::kMaxOutstanding - 2) +
               " (the packets kept outstanding per peer); raise interval or lower timeout";
    if (!config.tcp.empty() || !config.udp.empty())
        return "a stamp-sender listens on nothing: no tcp or udp";
    return {};
}

// The peers' files are read here, their errors at their own FILE:LINE.
void load(InstanceConfig& config, const SectionPlace& place, std::vector<ConfigError>& errors) {
    auto& s = own_settings<StampSenderSettings>(config);
    for (SenderPeer& p : s.peers)
        if (p.origin.empty()) {
            ConfigError at = place.at("peers", "");
            p.origin = at.file + ":" + std::to_string(at.line);
        }
    s.file_peers.clear();
    if (!s.peers_file.empty()) load_peers_files(s.peers_file, s.file_peers, errors);
    all_peers(s, &errors);
}

}  // namespace

extern const ServiceSpec kStampSenderSpec{
    .title = "STAMP session-sender (RFC 8762)",
    .standard_port = 862,
    .tcp = false,
    .udp = false,
    // No datagram ever reaches it (there is no listener): a discard service.
    .make = [](const InstanceConfig&, StatusRenderer&) { return make_discard_service(); },
    .settings = own_settings_of<StampSenderSettings>,
    .keys = kKeys,
    .check = check,
    .load = load,
};

}  // namespace smalld
