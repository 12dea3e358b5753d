// SPDX-License-Identifier: BSD-2-Clause
// The two admission decisions on arbitrary input, admit_datagram() and
// admit_connection(), as the listeners call them: the loop guard's source and
// destination checks (with malformed control data), the CIDR ACL, the limits,
// the per-source table and the reply cap. The first bytes choose the peer and
// the settings; the rest is the control data of a received message.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "admission.h"
#include "fuzz_input.h"

namespace {

smalld::SockAddr peer_from(fuzz::Input& in) {
    smalld::SockAddr peer;
    if (in.take(1) & 1) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&peer.storage);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(uint16_t(in.take(2)));
        in.copy(&a->sin6_addr, sizeof a->sin6_addr);
        peer.len = sizeof *a;
    } else {
        auto* a = reinterpret_cast<sockaddr_in*>(&peer.storage);
        a->sin_family = AF_INET;
        a->sin_port = htons(uint16_t(in.take(2)));
        in.copy(&a->sin_addr, sizeof a->sin_addr);
        peer.len = sizeof *a;
    }
    return peer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in{data, size};
    smalld::SockAddr peer = peer_from(in);
    bool suspect = smalld::udp_source_is_suspect(peer);
    if (peer.port() < 1024 && !suspect) abort();

    // The reply cap: the configured factor range, every request size.
    size_t request = in.take(3) % 65536;
    double factor = double(in.take(2) % 1001) * (in.take(1) % 2 ? 1.0 : 0.001);
    size_t cap = smalld::udp_reply_cap(request, factor, peer);
    if (cap < 32 || cap > 65527 || (peer.family() == AF_INET && cap > 65507)) abort();

    // An ACL from a prefix of the input, as the config would parse it.
    std::string error;
    size_t text_len = std::min<size_t>(in.size, 45);
    std::string text(reinterpret_cast<const char*>(in.data), text_len);
    in.skip(text_len);
    smalld::InstanceConfig config;
    config.allow.clear();
    config.deny.clear();
    if (auto cidr = smalld::parse_cidr(text, &error)) {
        config.allow.push_back(*cidr);
        if (smalld::acl_allows(config, peer) != cidr->contains(peer)) abort();
        config.deny.push_back(*cidr);
        if (smalld::acl_allows(config, peer)) abort();
    }
    // So that the decisions get past the ACL too: no deny, or allow all.
    unsigned acl = unsigned(in.take(1));
    if (acl & 1) config.deny.clear();
    if (acl & 2)
        for (const char* all : {"0.0.0.0/0", "::/0"})
            config.allow.push_back(*smalld::parse_cidr(all, &error));

    // The per-source state, small enough to evict, kept across inputs.
    static smalld::AdmissionState state(64);
    static std::deque<smalld::SourceKey> open;  // the sessions admitted and not yet closed
    static int64_t now = 0;
    now += int64_t(in.take(1));
    config.rate = {double(in.take(1) % 101), double(1 + in.take(1) % 100)};
    size_t floor = 32 + in.take(1) % 32;
    config.udp_loop_guard = in.take(1) % 4 != 0;
    config.udp_amplification = factor;
    size_t daemon_sessions = in.take(1);
    unsigned daemon_max = unsigned(in.take(1));
    config.max_connections = unsigned(in.take(1) % 8);
    config.per_source = unsigned(in.take(1) % 4);
    unsigned action = unsigned(in.take(1));

    // The rest is control data as recvmsg would hand it over (or not).
    alignas(cmsghdr) uint8_t aligned[512];
    size_t len = std::min(in.size, sizeof aligned);
    if (len) std::memcpy(aligned, in.data, len);
    msghdr msg{};
    msg.msg_control = len ? aligned : nullptr;
    msg.msg_controllen = len;

    // The daemon's own sockets: the peer itself every fourth input, and a
    // wildcard socket on its port every eighth.
    static smalld::OwnSockets own;
    own.set_host_addresses({});
    std::vector<smalld::SockAddr> sockets;
    if (action & 4) sockets.push_back(peer);
    if (action & 8) {
        smalld::SockAddr wildcard;
        wildcard.storage.ss_family = sa_family_t(peer.family());
        wildcard.len = peer.len;
        wildcard.set_port(peer.port());
        sockets.push_back(wildcard);
    }
    own.assign(sockets);
    bool ours = own.contains(peer, nullptr, now);

    bool allowed = smalld::acl_allows(config, peer);
    bool looped = smalld::udp_source_is_suspect(peer) || smalld::udp_destination_is_suspect(msg);
    smalld::DatagramRequest datagram_request{peer, msg, request, now};
    datagram_request.own = &own;
    // The input's first bytes are as good a payload as any, when long enough.
    if (request <= size) datagram_request.payload = data;
    datagram_request.arrival_ns = now * 1'000'000;
    auto datagram = smalld::admit_datagram(config, floor, state, datagram_request);
    if (datagram.admitted) {
        if (!allowed || (config.udp_loop_guard && (looped || ours))) abort();
        if (datagram.reply_cap < std::min<size_t>(floor, 65507) || datagram.reply_cap > 65527)
            abort();
        // Answered a moment before the next input arrives: the bounce table
        // sees the same peers again and again.
        state.bounces.answered(peer, datagram.payload_hash, datagram.payload_hash ^ action,
                               datagram.bounce, now * 1'000'000 - 1);
    } else if (config.udp_loop_guard && (looped || ours) &&
               datagram.reason != smalld::DropReason::Loop) {
        abort();
    }

    auto connection =
        smalld::admit_connection(config, state, {peer, daemon_sessions, daemon_max, now});
    if (connection.admitted) {
        if (!allowed || (daemon_max && daemon_sessions >= daemon_max) ||
            (config.max_connections && state.tcp_sessions >= config.max_connections))
            abort();
        if (action & 1) {
            state.opened(smalld::source_key(peer));
            open.push_back(smalld::source_key(peer));
        }
    } else if (!allowed && connection.reason != smalld::RejectReason::Acl) {
        abort();
    }
    // Sessions end, the oldest first, and at most 64 stay open across inputs.
    while (!open.empty() && (action & 2 || open.size() > 64)) {
        state.closed(open.front());
        open.pop_front();
        action &= ~2u;
    }
    if (state.tcp_sessions != open.size() || state.sources.size() > 64 + open.size()) abort();
    return 0;
}
