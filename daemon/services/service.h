// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The protocol logic of the small services. A service turns bytes in (and the
// time) into bytes out; it never touches a socket. Sessions and UDP endpoints
// do the I/O and call into it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "address.h"
#include "tx_timestamps.h"
#include "wall_time.h"  // WallTime: the services that have a clock offset
                        // setting (time, daytime) add it themselves

namespace smalld {

struct InstanceConfig;
struct InstanceStats;
struct InstanceState;

// What a service type reads of each datagram (ServiceSpec::datagram_metadata,
// service_registry.h): the fields of Datagram below it fills.
inline constexpr unsigned kMetadataReceiveTime = 1;  // the kernel's receive time
inline constexpr unsigned kMetadataTtl = 2;          // TTL or hop limit
inline constexpr unsigned kMetadataTos = 4;          // TOS or traffic class

// One received datagram and what the kernel said about it in the message's
// control data. The pointers stay valid for the call only.
struct Datagram {
    std::span<const uint8_t> payload;
    const SockAddr* peer = nullptr;
    const SockAddr* local = nullptr;  // the address it was sent to; nullptr when unknown
    WallTime received;                // the kernel's receive timestamp (or the batch's clock read)
    bool kernel_timestamp = false;    // false: the kernel gave none, `received` is a clock read
    bool hardware_timestamp = false;  // `received` is the NIC's (SO_TIMESTAMPING, hardware)
    int ttl = -1;                     // IPv4 TTL or IPv6 hop limit; -1 unknown
    int tos = -1;                     // IPv4 TOS or IPv6 traffic class; -1 unknown
    int64_t socket_drops = -1;        // SO_RXQ_OVFL: the socket's drop count; -1 not asked
    uint16_t local_port = 0;          // the port it was sent to (the listener's)
    // Set by the service for its reply: the TOS / traffic class and the TTL /
    // hop limit it leaves with; -1: the socket's default.
    int reply_tos = -1;
    int reply_ttl = -1;
    // Set by a service that wants seal() called on its reply immediately
    // before the reply is handed to the kernel (the STAMP transmit time).
    uint32_t seal = 0;
    // Set by a service that wants the kernel's transmit time of its reply
    // (tx_timestamping()): handed back to transmitted(). 0: not wanted.
    uint64_t tx_ticket = 0;
};

// Per-instance state a service keeps across reloads (InstanceState owns it).
struct ServiceState {
    virtual ~ServiceState() = default;
};

// How a TCP session drives a service.
enum class StreamMode {
    Echo,      // write back every byte read
    Discard,   // read and drop
    Generate,  // write generate() output whenever the peer can take it; drop input
    Message,   // write message() on connect, then close
};

class Service {
  public:
    virtual ~Service() = default;

    virtual StreamMode stream_mode() const = 0;

    // Message services: the whole TCP reply for a session from `peer` opened
    // at `now`.
    virtual std::string message(WallTime now, const SockAddr& peer) {
        (void)now, (void)peer;
        return {};
    }

    // Generate services: fills `out` with the stream continuing at byte `offset`
    // of the session's output. Returns the bytes written: out.size() for a
    // generating service, 0 for the others.
    virtual size_t generate(uint64_t offset, std::span<char> out) {
        (void)offset;
        return out.size() * 0;
    }

    // UDP: writes the reply to the datagram `in` into `out`, whose size is the
    // amplification cap. Returns the reply length, or -1 for no reply at all, or
    // -2 when the only possible reply would exceed the cap (counted as an
    // amplification drop), or -3 when the datagram is itself a reply of the
    // service's protocol (a STAMP reflector's packet), which no reply may
    // answer (counted as a loop drop). Services whose output may be cut
    // (chargen, status) truncate to out.size() instead.
    virtual ptrdiff_t datagram(Datagram& in, std::span<uint8_t> out) = 0;

    // Called for a datagram the endpoint received and admitted to no reply
    // before the service saw it (rate limit, access list): a service that
    // counts the packets of its sessions (the STAMP reflector) counts it.
    virtual void note_dropped(const Datagram& in) { (void)in; }

    // Called on a reply just before it is sent when datagram() set in.seal.
    virtual void seal(std::span<uint8_t> reply, uint32_t tag) { (void)reply, (void)tag; }

    // The kernel's transmit timestamps the service wants on its UDP sockets
    // (SO_TIMESTAMPING); None: none.
    virtual TxTimestamping tx_timestamping() const { return TxTimestamping::None; }
    // The kernel's report of when the reply with `ticket` (Datagram's
    // tx_ticket) left.
    virtual void transmitted(uint64_t ticket, const TxTimestamp& when) { (void)ticket, (void)when; }

    // Called once the instance is served: its statistics and the state that
    // outlives reloads.
    virtual void attach(InstanceStats& stats, InstanceState& state) { (void)stats, (void)state; }

    // The sessions the service itself keeps now (a stateful STAMP reflector's
    // table), for the gauges; 0 for the others.
    virtual uint64_t sessions_kept() const { return 0; }
};

static constexpr ptrdiff_t kNoReply = -1;
static constexpr ptrdiff_t kReplyTooLarge = -2;
static constexpr ptrdiff_t kLoopReply = -3;

// Renders the status report, with the config path and the last reload's
// result when `details`; supplied by the daemon, which owns the statistics.
using StatusRenderer = std::function<std::string(bool details)>;

// Builds the service of an instance from its configuration. `status` is used
// only by the status type.
std::unique_ptr<Service> make_service(const InstanceConfig& config, StatusRenderer status);

}  // namespace smalld
