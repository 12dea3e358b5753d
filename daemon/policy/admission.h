// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Who may use an instance: the two decisions, admit_connection() and
// admit_datagram(), and what they are made of: the ACL, the UDP loop guard,
// the limits, per-source accounting (concurrent sessions and a token bucket)
// in bounded memory, and the reply cap. The listeners call the decisions and
// act on them; fuzz_admission drives them with no socket.

#include <sys/socket.h>

#include <cstdint>
#include <unordered_map>

#include "address.h"
#include "bounce_table.h"
#include "config.h"
#include "own_sockets.h"
#include "stats.h"

namespace smalld {

// deny wins over allow; an empty allow admits nobody. The [metrics] listener
// asks the same question with its own allow and no deny.
bool acl_allows(const std::vector<Cidr>& allow, const std::vector<Cidr>& deny,
                const SockAddr& peer);
inline bool acl_allows(const InstanceConfig& config, const SockAddr& peer) {
    return acl_allows(config.allow, config.deny, peer);
}

// The loop guard's source check, one layer of several (admit_datagram):
// datagrams that could start or feed a loop or a reflection: from privileged
// ports (another small service) or NFS, from 0.0.0.0/8, multicast 224/4,
// reserved 240/4 (with 255.255.255.255), ::, IPv6 multicast ff00::/8, and
// IPv4-mapped or IPv4-compatible sources. CVE-1999-0103, CVE-2024-2169.
// A stamp instance serves senders on port 862, STAMP's own (RFC 8762): the
// reflector never answers a reflected packet, so two of them cannot loop.
bool udp_source_is_suspect(const SockAddr& peer, ServiceType type = ServiceType::Echo);

// Datagrams sent to a broadcast or multicast address: one request would get
// a reply from every host that hears it. Reads the IP_PKTINFO/IPV6_PKTINFO
// control data of a received message (no such data: not suspect). An IPv4
// broadcast, a subnet's too, is a destination other than the local address
// the kernel reports in ipi_spec_dst.
bool udp_destination_is_suspect(const msghdr& received);

// The amplification cap: the most a reply to a `request`-byte datagram from
// `peer` may carry, max(request x factor, floor) bytes (the floor is 32
// bytes, or the type's base reply: 44 for stamp), and never more than UDP
// carries: 65507 bytes over IPv4, 65527 over IPv6 (which counts only what
// follows its header).
size_t udp_reply_cap(size_t request, double factor, const SockAddr& peer, size_t floor = 32);

// Milliseconds on a coarse monotonic clock: cheap enough for every datagram.
int64_t monotonic_ms();

class SourceTable {
  public:
    // About this many sources are remembered (those with open sessions are
    // never forgotten). When full, the table forgets down to half: first
    // sources whose bucket has refilled (as good as new), then sources that
    // may send now, and throttled sources last, so a flood of new sources
    // neither grows the table nor lifts the limit of a source it throttles.
    explicit SourceTable(size_t capacity = 65536) : capacity_(capacity) {}

    // Takes a token from the source's bucket; false when it is empty.
    bool take_token(const SourceKey& key, const Rate& rate, int64_t now_ms);
    // Concurrent-session accounting for per_source.
    bool can_open(const SourceKey& key, unsigned per_source) const;
    void opened(const SourceKey& key);
    void closed(const SourceKey& key);

    size_t size() const { return entries_.size(); }

  private:
    struct Entry {
        uint32_t sessions = 0;
        double tokens = 0;
        int64_t refilled_ms = 0;
        int64_t usable_ms = 0;  // when the bucket holds a token again
        int64_t full_ms = 0;    // when the bucket is full again
        bool bucket_used = false;
    };
    Entry& entry(const SourceKey& key, int64_t now_ms);
    void evict(int64_t now_ms);

    size_t capacity_;
    std::unordered_map<SourceKey, Entry, SourceKeyHash> entries_;
};

// What admission knows of an instance beyond its configuration. Kept per
// instance name across reloads (InstanceState) and never part of the
// statistics: resetting the counters cannot change who is admitted.
struct AdmissionState {
    explicit AdmissionState(size_t sources_capacity = 65536) : sources(sources_capacity) {}

    SourceTable sources;
    BounceTable bounces;        // the UDP peers answered lately (the loop guard)
    uint64_t tcp_sessions = 0;  // the instance's TCP sessions open now

    // A TCP session of `source` opened or closed (the SessionTable calls these).
    void opened(const SourceKey& source);
    void closed(const SourceKey& source);
};

// A new TCP connection from `peer`, with `daemon_sessions` TCP sessions open
// in the whole daemon, whose cap is `daemon_max` (0 = none).
struct ConnectionRequest {
    const SockAddr& peer;
    size_t daemon_sessions = 0;
    unsigned daemon_max = 0;
    int64_t now_ms = 0;
};
struct ConnectionDecision {
    bool admitted = true;
    RejectReason reason = RejectReason::Count;  // when refused
};
// In this order: the ACL, the daemon's and the instance's max_connections,
// per_source, the rate (which takes a token only when all else admits).
ConnectionDecision admit_connection(const InstanceConfig& config, AdmissionState& state,
                                    const ConnectionRequest& request);

// A received datagram of `length` bytes from `peer`; `received` is its
// message, whose control data tells where it was sent (the loop guard).
struct DatagramRequest {
    const SockAddr& peer;
    const msghdr& received;
    size_t length = 0;
    int64_t now_ms = 0;
    // The loop guard's other layers; each is skipped when its input is absent.
    OwnSockets* own = nullptr;         // the daemon's UDP sockets
    const SockAddr* local = nullptr;   // the address it was sent to (IP_PKTINFO)
    const uint8_t* payload = nullptr;  // `length` bytes, for the bounce table
    int64_t arrival_ns = 0;            // the kernel's receive timestamp (CLOCK_REALTIME)
};
struct DatagramDecision {
    bool admitted = true;
    DropReason reason = DropReason::Count;  // when dropped
    size_t reply_cap = 0;                   // when admitted: the most a reply may carry
    // Loop drops by the own-socket and bounce layers: what they saw, in
    // words for the log; nullptr for the address classes, which need none.
    const char* loop = nullptr;
    // When admitted with a payload: its hash and whether it came back, for
    // BounceTable::answered once the reply has left.
    uint64_t payload_hash = 0;
    bool bounce = false;
};
// In this order: the loop guard's address checks (unless udp_loop_guard =
// no): the source and destination classes, then the daemon's own sockets;
// the ACL; the rate; the loop guard's bounce table; then the reply cap with
// the type's floor `reply_floor`. A service whose reply would exceed the cap
// is the caller's amplification drop; a reply the service refuses to answer
// (a reflected STAMP packet) the caller's loop drop.
DatagramDecision admit_datagram(const InstanceConfig& config, size_t reply_floor,
                                AdmissionState& state, const DatagramRequest& request);

}  // namespace smalld
