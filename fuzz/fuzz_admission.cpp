// The UDP admission path on arbitrary input: the loop guard's source and
// destination checks (with malformed control data), the reply cap, the CIDR
// ACL and the per-source table. The first bytes choose the peer and the
// settings; the rest is the control data of a received message.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

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

    // The per-source table, small enough to evict.
    static smalld::SourceTable table(64);
    static int64_t now = 0;
    now += int64_t(in.take(1));
    smalld::Rate rate{double(1 + in.take(1) % 100), double(1 + in.take(1) % 100)};
    table.take_token(smalld::source_key(peer), rate, now);
    if (table.size() > 64) abort();

    // The rest is control data as recvmsg would hand it over (or not).
    alignas(cmsghdr) uint8_t aligned[512];
    size_t len = std::min(in.size, sizeof aligned);
    if (len) std::memcpy(aligned, in.data, len);
    msghdr msg{};
    msg.msg_control = len ? aligned : nullptr;
    msg.msg_controllen = len;
    (void)smalld::udp_destination_is_suspect(msg);
    return 0;
}
