#pragma once
// Who may use an instance: the ACL, the UDP loop guard, and per-source
// accounting (concurrent sessions and a token bucket) in bounded memory.

#include <sys/socket.h>

#include <cstdint>
#include <unordered_map>

#include "address.h"
#include "config.h"

namespace smalld {

// deny wins over allow; an empty allow admits nobody.
bool acl_allows(const InstanceConfig& config, const SockAddr& peer);

// Datagrams that could start or feed a loop or a reflection: from privileged
// ports (another small service) or NFS, from 0.0.0.0/8, multicast 224/4,
// reserved 240/4 (with 255.255.255.255), ::, IPv6 multicast ff00::/8, and
// IPv4-mapped or IPv4-compatible sources. CVE-1999-0103, CVE-2024-2169.
bool udp_source_is_suspect(const SockAddr& peer);

// Datagrams sent to a broadcast or multicast address: one request would get
// a reply from every host that hears it. Reads the IP_PKTINFO/IPV6_PKTINFO
// control data of a received message (no such data: not suspect). An IPv4
// broadcast, a subnet's too, is a destination other than the local address
// the kernel reports in ipi_spec_dst.
bool udp_destination_is_suspect(const msghdr& received);

// The amplification cap: the most a reply to a `request`-byte datagram from
// `peer` may carry, max(request x factor, floor) bytes (the floor is 32, or
// the type's base reply), and never more than UDP carries: 65507 bytes over
// IPv4, 65527 over IPv6 (which counts only what follows its header).
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

}  // namespace smalld
