// SPDX-License-Identifier: BSD-2-Clause
#include "udp_endpoint.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "contain.h"
#include "datagram_control.h"
#include "io_buffers.h"
#include "log.h"
#include "service_registry.h"

namespace smalld {

namespace {

constexpr unsigned kBatch = DatagramBatch::kSize;
constexpr size_t kMaxDatagram = DatagramBatch::kMaxDatagram;
constexpr unsigned kDrainBatches = 4;  // batches read per wake-up at most
LogLimiter send_log("udp send errors");
LogLimiter loop_log("udp loops");

int64_t to_ns(WallTime t) {
    return t.unix_seconds * 1'000'000'000 + t.nanos;
}

// Copies the destination address of a received datagram into the reply's
// control data, so the reply leaves from the address the peer talked to.
size_t reply_control(const msghdr& received, uint8_t* out) {
    for (cmsghdr* c = CMSG_FIRSTHDR(const_cast<msghdr*>(&received)); c;
         c = CMSG_NXTHDR(const_cast<msghdr*>(&received), c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            in_pktinfo info;
            std::memcpy(&info, CMSG_DATA(c), sizeof info);
            in_pktinfo reply{};
            // The local address the datagram came in on: the destination
            // itself for unicast, an address of the interface for a broadcast.
            reply.ipi_spec_dst = info.ipi_spec_dst;
            auto* h = reinterpret_cast<cmsghdr*>(out);
            h->cmsg_level = IPPROTO_IP;
            h->cmsg_type = IP_PKTINFO;
            h->cmsg_len = CMSG_LEN(sizeof reply);
            std::memcpy(CMSG_DATA(h), &reply, sizeof reply);
            return CMSG_SPACE(sizeof reply);
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
            auto* h = reinterpret_cast<cmsghdr*>(out);
            h->cmsg_level = IPPROTO_IPV6;
            h->cmsg_type = IPV6_PKTINFO;
            h->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
            std::memcpy(CMSG_DATA(h), CMSG_DATA(c), sizeof(in6_pktinfo));
            return CMSG_SPACE(sizeof(in6_pktinfo));
        }
    }
    return 0;
}

// Appends one int-valued control message at `out` + `at`; returns its space.
size_t put_int_control(uint8_t* out, size_t at, int level, int type, int value) {
    auto* h = reinterpret_cast<cmsghdr*>(out + at);
    h->cmsg_level = level;
    h->cmsg_type = type;
    h->cmsg_len = CMSG_LEN(sizeof value);
    std::memcpy(CMSG_DATA(h), &value, sizeof value);
    return CMSG_SPACE(sizeof value);
}

// The reply's TOS / traffic class and TTL / hop limit, when the service set
// them (a STAMP reply: the DSCP asked for, TTL 255), after the packet info.
size_t reply_header_control(int family, const Datagram& d, uint8_t* out, size_t at) {
    size_t added = 0;
    bool v4 = family == AF_INET;
    if (d.reply_tos >= 0 && d.reply_tos <= 255)
        added += put_int_control(out, at + added, v4 ? IPPROTO_IP : IPPROTO_IPV6,
                                 v4 ? IP_TOS : IPV6_TCLASS, d.reply_tos);
    if (d.reply_ttl > 0 && d.reply_ttl <= 255)
        added += put_int_control(out, at + added, v4 ? IPPROTO_IP : IPPROTO_IPV6,
                                 v4 ? IP_TTL : IPV6_HOPLIMIT, d.reply_ttl);
    return added;
}

}  // namespace

UdpEndpoint::UdpEndpoint(ListenerContext& context, std::shared_ptr<Instance> instance,
                         const SockAddr& configured, Fd fd, Origin origin)
    : Listener(context, std::move(instance), Proto::Udp, configured, std::move(fd), origin) {}

void UdpEndpoint::start(event_base* base) {
    // The destination of each datagram (IP_PKTINFO), to answer from the
    // address the peer talked to (multi-homed hosts) and to drop datagrams
    // sent to a broadcast or multicast address. A socket bound to a unicast
    // address of this host knows both already: the option is set off, on
    // systemd's sockets too (needs_packet_info).
    packet_info_ = needs_packet_info(actual_);
    bound_local_ = actual_;
    bound_local_.set_port(0);
    int on = packet_info_;
    if (actual_.family() == AF_INET)
        setsockopt(fd_.get(), IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
    else
        setsockopt(fd_.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
    apply_datagram_metadata();
    apply_tx_timestamping();
    watch(base, on_ready_cb);
}

void UdpEndpoint::set_instance(std::shared_ptr<Instance> instance) {
    // The reports waiting are the previous service's, and so are the
    // tickets of replies not reported yet.
    collect_tx_timestamps();
    tx_pending_ = {};
    Listener::set_instance(std::move(instance));
    apply_datagram_metadata();
    apply_tx_timestamping();
}

void UdpEndpoint::apply_datagram_metadata() {
    unsigned wanted = service_spec(instance_->config.type).datagram_metadata;
    if (wanted == metadata_) return;
    enable_datagram_metadata(fd_.get(), actual_.family(), wanted);
    metadata_ = wanted;
}

void UdpEndpoint::apply_tx_timestamping() {
    TxTimestamping mode = instance_->service->tx_timestamping();
    if (mode == tx_mode_) return;
    if (!enable_tx_timestamps(fd_.get(), mode)) {
        // The service is told nothing, and says so (an unknown transmit time).
        LOG_WARNING("%s: udp %s: no transmit timestamps (timestamping = %s): %s",
                    instance_->config.name.c_str(), actual_.to_string().c_str(), to_string(mode),
                    strerror(errno));
        enable_tx_timestamps(fd_.get(), TxTimestamping::None);
        mode = TxTimestamping::None;
    }
    tx_mode_ = mode;
    next_tx_id_ = 0;
}

void UdpEndpoint::collect_tx_timestamps() {
    if (tx_mode_ == TxTimestamping::None) return;
    TxTimestamp reports[64];
    for (;;) {
        size_t n = read_tx_timestamps(fd_.get(), reports, std::size(reports));
        for (size_t i = 0; i < n; ++i) {
            TxPending& p = tx_pending_[reports[i].id % kTxPending];
            if (p.id != reports[i].id || !p.ticket) continue;
            instance_->service->transmitted(p.ticket, reports[i]);
            p.ticket = 0;
        }
        if (n < std::size(reports)) return;
    }
}

void UdpEndpoint::on_ready_cb(evutil_socket_t, short, void* self) {
    contain("datagram", [&] { static_cast<UdpEndpoint*>(self)->datagrams_ready(); });
}

void UdpEndpoint::drop(const SockAddr& peer, DropReason reason, const char* loop) {
    instance_->stats->udp.drop(reason);
    report(peer, to_string(reason));
    if (loop && loop_log.admit(LogLevel::Notice))
        LOG_NOTICE("%s: udp %s: %s: not answered (a loop)", instance_->config.name.c_str(),
                   peer.to_string().c_str(), loop);
}

void UdpEndpoint::datagrams_ready() {
    // A full batch leaves more waiting: read again before going back to the
    // loop (an epoll_wait saved per batch), a bounded number of times so that
    // one busy socket does not starve the loop's others.
    for (unsigned n = 0; n < kDrainBatches; ++n) {
        // First the error queue: the departures of the replies sent before.
        collect_tx_timestamps();
        if (serve_batch() < kBatch) return;
    }
}

unsigned UdpEndpoint::serve_batch() {
    DatagramBatch& b = context_.buffers->datagram_batch();
    if (!b.receive_prepared) b.prepare_receive();
    int received = recvmmsg(fd_.get(), b.recv_msgs, kBatch, MSG_DONTWAIT, nullptr);
    if (received <= 0) return 0;
    // The messages go back to their full lengths however this call ends.
    struct Rearm {
        DatagramBatch& b;
        unsigned n;
        ~Rearm() { b.rearm_receive(n); }
    } rearm{b, unsigned(received)};

    const InstanceConfig& config = instance_->config;
    ProtoStats& stats = instance_->stats->udp;
    AdmissionState& admission_state = instance_->state->admission;
    WallTime now = wall_now();  // for a datagram the kernel did not time-stamp
    int64_t now_ms = monotonic_ms();
    Service& service = *instance_->service;
    size_t reply_floor = service_spec(config.type).udp_reply_floor;
    unsigned replies = 0;
    // Per reply, for the bounce table once it has left.
    uint64_t request_hash[kBatch];
    bool bounce[kBatch];
    uint8_t source[kBatch];  // the datagram each reply answers
    // From the packet info, or the address the socket is bound to when that
    // is all the packet info could say (needs_packet_info).
    SockAddr local;
    for (int i = 0; i < received; ++i) {
        const msghdr& h = b.recv_msgs[i].msg_hdr;
        size_t len = b.recv_msgs[i].msg_len;
        const uint8_t* payload = b.in.get() + size_t(i) * kMaxDatagram;
        SockAddr& peer = b.sources[i];
        peer.len = h.msg_namelen;
        ++stats.datagrams_in;
        stats.bytes_read += len;
        Datagram d;
        d.payload = {payload, len};
        d.peer = &peer;
        if (!packet_info_) d.local = &bound_local_;
        read_datagram_metadata(h, d, local);
        d.local_port = actual_.port();
        if (!d.kernel_timestamp) d.received = now;
        DatagramRequest request{peer, h, len, now_ms};
        request.own = context_.own_udp;
        request.local = d.local;
        request.payload = payload;
        request.arrival_ns = to_ns(d.received);
        DatagramDecision admission = admit_datagram(config, reply_floor, admission_state, request);
        if (!admission.admitted) {
            drop(peer, admission.reason, admission.loop);
            if (admission.reason != DropReason::Loop) service.note_dropped(d);
            continue;
        }
        size_t cap = admission.reply_cap;
        uint8_t* out = b.out.get() + replies * kMaxDatagram;
        ptrdiff_t n = service.datagram(d, {out, cap});
        if (n == kReplyTooLarge) {
            drop(peer, DropReason::Amplification);
            continue;
        }
        if (n == kLoopReply) {
            drop(peer, DropReason::Loop, "a reflected STAMP packet");
            continue;
        }
        if (n < 0) continue;
        b.send_iov[replies] = {out, static_cast<size_t>(n)};
        msghdr& r = b.send_msgs[replies].msg_hdr;
        r = {};
        r.msg_name = h.msg_name;
        r.msg_namelen = h.msg_namelen;
        r.msg_iov = &b.send_iov[replies];
        r.msg_iovlen = 1;
        size_t control = reply_control(h, b.send_control[replies]);
        control += reply_header_control(peer.family(), d, b.send_control[replies], control);
        r.msg_control = control ? b.send_control[replies] : nullptr;
        r.msg_controllen = control;
        b.seal[replies] = d.seal;
        b.tx_ticket[replies] = d.tx_ticket;
        request_hash[replies] = admission.payload_hash;
        bounce[replies] = admission.bounce;
        source[replies] = uint8_t(i);
        ++replies;
    }
    // The replies leave now: a service that stamps its transmit time does it here.
    for (unsigned k = 0; k < replies; ++k)
        if (b.seal[k])
            service.seal({static_cast<uint8_t*>(b.send_iov[k].iov_base), b.send_iov[k].iov_len},
                         b.seal[k]);
    // What each reply was, for the bounce table: hashed as it leaves, and
    // remembered once the kernel has taken it. An echo's reply is its
    // request, whose hash admission took: comparing costs less than hashing.
    uint64_t reply_hash[kBatch];
    for (unsigned k = 0; k < replies && config.udp_loop_guard; ++k) {
        const auto* reply = static_cast<const uint8_t*>(b.send_iov[k].iov_base);
        size_t reply_len = b.send_iov[k].iov_len;
        const uint8_t* request = b.in.get() + size_t(source[k]) * kMaxDatagram;
        bool same = reply_len == b.recv_msgs[source[k]].msg_len &&
                    std::memcmp(reply, request, reply_len) == 0;
        reply_hash[k] = same ? request_hash[k] : payload_hash({reply, reply_len});
    }
    int64_t sent_ns = to_ns(wall_now());
    unsigned done = 0;
    while (done < replies) {
        int sent = sendmmsg(fd_.get(), b.send_msgs + done, replies - done, MSG_DONTWAIT);
        if (sent <= 0) {
            // A full socket buffer or an unreachable peer: UDP may drop, and
            // one bad destination must not hold back the others.
            int err = errno;
            stats.drop(DropReason::Send);
            if (send_log.admit(LogLevel::Warning)) {
                const msghdr& failed = b.send_msgs[done].msg_hdr;
                SockAddr peer =
                    SockAddr::from(static_cast<sockaddr*>(failed.msg_name), failed.msg_namelen);
                LOG_WARNING("%s: reply to udp %s not sent: %s", config.name.c_str(),
                            peer.to_string().c_str(), strerror(err));
            }
            ++done;
            continue;
        }
        for (unsigned k = done; k < done + unsigned(sent); ++k) {
            // The kernel numbers the datagrams it took, as we do.
            if (tx_mode_ != TxTimestamping::None) {
                tx_pending_[next_tx_id_ % kTxPending] = {next_tx_id_, b.tx_ticket[k]};
                ++next_tx_id_;
            }
            ++stats.datagrams_out;
            stats.bytes_written += b.send_msgs[k].msg_len;
            if (!config.udp_loop_guard) continue;
            admission_state.bounces.answered(b.sources[source[k]], request_hash[k], reply_hash[k],
                                             bounce[k], sent_ns);
        }
        done += unsigned(sent);
    }
    return unsigned(received);
}

}  // namespace smalld
