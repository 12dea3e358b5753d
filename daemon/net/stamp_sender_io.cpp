// SPDX-License-Identifier: BSD-2-Clause
// The stamp-sender's sockets: one UDP socket per address family, its
// packets out by sendmmsg(), their transmit times and the replies in by the
// error queue and recvmmsg(), each reply handed to the peer whose address it
// came from. Buffers are made once; nothing is allocated per packet.
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "datagram_control.h"
#include "log.h"
#include "stamp_sender_io.h"
#include "tx_timestamps.h"

namespace smalld {

namespace {

// The least memory the kernel charges a datagram in a receive queue (its
// truesize is more): a bound on how many a full buffer holds.
constexpr size_t kLeastTruesize = 256;
LogLimiter reply_log("stamp-sender replies dropped");

int64_t nanos(WallTime t) {
    return t.unix_seconds * 1'000'000'000 + t.nanos;
}

}  // namespace

AddressKey address_key(const SockAddr& addr) {
    AddressKey k;
    auto b = addr.address_bytes();
    if (b.size() == 4) {
        k.lo = 0xffff00000000ULL | uint64_t(b[0]) << 24 | uint64_t(b[1]) << 16 |
               uint64_t(b[2]) << 8 | b[3];
    } else if (b.size() == 16) {
        std::memcpy(&k.hi, b.data(), 8);
        std::memcpy(&k.lo, b.data() + 8, 8);
        // An IPv4-mapped IPv6 source is its IPv4 address.
        if (k.hi == 0 && (k.lo & 0xffffffffULL) == 0xffff0000ULL) {
            k.lo = 0xffff00000000ULL | uint64_t(b[12]) << 24 | uint64_t(b[13]) << 16 |
                   uint64_t(b[14]) << 8 | b[15];
        }
    }
    return k;
}

StampSender::Io::Io()
    : out(2 * kBatch * kMaxPacket),
      in(kBatch * kMaxPacket),
      control(kBatch * kDatagramControlSize),
      tickets(kTickets) {}

void StampSender::Io::fit_slots(uint32_t largest) {
    stride = std::min<size_t>(kMaxPacket, (size_t(largest) + 64) / 64 * 64);
}

StampSender::Io::Socket* StampSender::Io::socket(int family, event_base* base, int dscp,
                                                 StampSender* owner) {
    Socket& s = family == AF_INET ? v4 : v6;
    if (s.fd) return &s;
    Fd fd(::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        LOG_WARNING("stamp-sender: cannot open a UDP socket: %s", std::strerror(errno));
        return nullptr;
    }
    // Both ends send with TTL 255, so the hops are 255 less what arrives.
    int ttl = 255, tos = dscp << 2;
    if (family == AF_INET) {
        setsockopt(fd.get(), IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
        setsockopt(fd.get(), IPPROTO_IP, IP_TOS, &tos, sizeof tos);
    } else {
        setsockopt(fd.get(), IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl);
        setsockopt(fd.get(), IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
    }
    size_receive_buffer(fd.get(), owner->settings_.receive_buffer);
    int bytes = 0;
    socklen_t len = sizeof bytes;
    if (getsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &bytes, &len) == 0 && bytes > 0)
        s.drain_rounds = size_t(bytes) / kLeastTruesize / kBatch + 1;
    int on = 1;  // each reply brings the socket's drop count
    setsockopt(fd.get(), SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
    enable_datagram_metadata(fd.get(), family, kMetadataReceiveTime | kMetadataTtl);
    enable_tx_timestamps(fd.get(), TxTimestamping::Software);
    s.next_id = 0;
    // Not added: the tick reads, and arm() says whether replies wake us.
    s.readable.reset(event_new(base, fd.get(), EV_READ | EV_PERSIST, on_readable, owner));
    s.more = false;
    s.fd = std::move(fd);
    return &s;
}

StampSender::Io::Socket* StampSender::Io::of_fd(int fd) {
    if (v4.fd && v4.fd.get() == fd) return &v4;
    if (v6.fd && v6.fd.get() == fd) return &v6;
    return nullptr;
}

size_t StampSender::Io::send(Socket& s, size_t first_slot, Peer* const* peers, const uint32_t* seqs,
                             const uint32_t* sizes, size_t count) {
    for (size_t i = 0; i < count; ++i) {
        iovecs[i] = {out.data() + (first_slot + i) * stride, sizes[i]};
        msghdr& h = messages[i].msg_hdr;
        h = {};
        h.msg_name = const_cast<sockaddr*>(peers[i]->addr.get());
        h.msg_namelen = peers[i]->addr.len;
        h.msg_iov = &iovecs[i];
        h.msg_iovlen = 1;
    }
    size_t sent = 0;
    while (sent < count) {
        int n = sendmmsg(s.fd.get(), messages.data() + sent, unsigned(count - sent), MSG_DONTWAIT);
        if (n <= 0) break;
        for (int i = 0; i < n; ++i) {
            Ticket& t = tickets[s.next_id % kTickets];
            t.peer = peers[sent + size_t(i)]->stats;
            t.seq = seqs[sent + size_t(i)];
            ++s.next_id;
        }
        sent += size_t(n);
    }
    if (sent < count) {
        auto& stats = peers[0]->owner->stats_->sender;
        stats.send_errors += count - sent;
        // Not sent is not lost: the packets the kernel refused are taken back,
        // last first (a peer late enough to be due twice may be in twice).
        for (size_t i = count; i-- > sent;) peers[i]->stats->session.unsend(seqs[i]);
    }
    return sent;
}

void StampSender::Io::size_receive_buffer(int fd, int bytes) {
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
}

void StampSender::Io::catch_up(StampSender& owner, SenderStats& stats) {
    for (Socket* s : {&v4, &v6}) {
        if (!s->fd) continue;
        // A flood that outpaces the drain leaves replies unread: the
        // losses they may explain are of unknown direction too.
        if ((s->more = receive(*s, owner, stats, s->drain_rounds))) expose(*s, owner);
        uint32_t memory[SK_MEMINFO_VARS] = {};
        socklen_t len = sizeof memory;
        if (getsockopt(s->fd.get(), SOL_SOCKET, SO_MEMINFO, memory, &len) == 0 &&
            len > SK_MEMINFO_DROPS * sizeof memory[0])
            dropped(*s, memory[SK_MEMINFO_DROPS], owner, stats);
    }
}

// The kernel's count of datagrams dropped at `s` is `drops`: what it grew
// by is counted, and every reply still due may have been one of them.
void StampSender::Io::dropped(Socket& s, uint32_t drops, StampSender& owner, SenderStats& stats) {
    if (drops == s.drops) return;
    uint32_t grew = drops - s.drops;
    s.drops = drops;
    stats.dropped[size_t(stamp::ReplyDrop::ReceiveBuffer)] += grew;
    if (reply_log.admit(LogLevel::Notice))
        log::write(LogLevel::Notice,
                   "[%s] the kernel dropped %u datagrams at the sender's full socket: the losses "
                   "they may explain are of unknown direction (raise receive_buffer)",
                   owner.section_.c_str(), grew);
    expose(s, owner);
}

// Every reply due at `s` may be one the sender never read.
void StampSender::Io::expose(Socket& s, StampSender& owner) {
    int family = &s == &v4 ? AF_INET : AF_INET6;
    for (const auto& peer : owner.peers_)
        if (peer->resolved && peer->addr.family() == family)
            peer->stats->session.receive_overflow();
}

void StampSender::Io::read(Socket& s, StampSender& owner, SenderStats& stats) {
    s.more = receive(s, owner, stats, kReceiveBatches);
}

void StampSender::Io::listen(Socket& s, bool between_ticks) {
    bool on = s.more || between_ticks;
    if (on == bool(event_pending(s.readable.get(), EV_READ, nullptr))) return;
    if (on)
        event_add(s.readable.get(), nullptr);
    else
        event_del(s.readable.get());
}

bool StampSender::Io::receive(Socket& s, StampSender& owner, SenderStats& stats, size_t rounds) {
    // The transmit times first: they replace T1 before the replies are taken.
    TxTimestamp times[kBatch];
    for (size_t n; (n = read_tx_timestamps(s.fd.get(), times, kBatch)) > 0;)
        for (size_t i = 0; i < n; ++i) {
            Ticket& t = tickets[times[i].id % kTickets];
            if (auto peer = t.peer.lock()) peer->session.transmitted(t.seq, times[i].ns);
        }
    int64_t drops = -1;  // the last count a reply carried
    size_t n = kBatch;
    for (size_t round = 0; round < rounds && n == kBatch; ++round) {
        for (size_t i = 0; i < kBatch; ++i) {
            iovecs[i] = {in.data() + i * stride, stride};
            msghdr& h = messages[i].msg_hdr;
            h = {};
            h.msg_name = &names[i];
            h.msg_namelen = sizeof names[i];
            h.msg_iov = &iovecs[i];
            h.msg_iovlen = 1;
            h.msg_control = control.data() + i * kDatagramControlSize;
            h.msg_controllen = kDatagramControlSize;
        }
        int got = recvmmsg(s.fd.get(), messages.data(), kBatch, MSG_DONTWAIT, nullptr);
        n = got > 0 ? size_t(got) : 0;
        for (size_t i = 0; i < n; ++i) {
            const msghdr& h = messages[i].msg_hdr;
            SockAddr from = SockAddr::from(static_cast<const sockaddr*>(h.msg_name), h.msg_namelen);
            Datagram d;
            SockAddr local;
            read_datagram_metadata(h, d, local);
            drops = std::max(drops, d.socket_drops);
            std::span<const uint8_t> payload(in.data() + i * stride, messages[i].msg_len);
            // The peer of this address and port (of its SSID, when several
            // peers share both); else one of the address: a wrong port.
            auto range = by_address.equal_range(address_key(from));
            Peer* peer = nullptr;
            bool port = false;
            for (auto it = range.first; it != range.second; ++it) {
                Peer* p = it->second;
                if (p->addr.port() != from.port()) {
                    if (!peer) peer = p;
                    continue;
                }
                bool first = !port;
                port = true;
                if (first || p->stats->session.claims(payload)) peer = p;
            }
            stamp::ReplyOutcome o{stamp::ReplyOutcome::Dropped, stamp::ReplyDrop::NotAPeer, false};
            stamp::ReplySample sample;
            if (peer) o = peer->stats->session.take(payload, port, nanos(d.received), &sample);
            if (o.kind == stamp::ReplyOutcome::Sample) {
                peer->stats->figures.add(sample, peer->stats->same_clock, local_error_s, d.ttl);
            } else if (o.kind == stamp::ReplyOutcome::Dropped) {
                ++stats.dropped[size_t(o.drop)];
                if (reply_log.admit(LogLevel::Info))
                    log::write(LogLevel::Info, "[%s] reply from %s dropped: %s",
                               owner.section_.c_str(), from.to_string().c_str(),
                               stamp::to_string(o.drop));
            }
        }
    }
    // Replies without a count: the kernel has dropped none at the socket.
    if (drops >= 0) dropped(s, uint32_t(drops), owner, stats);
    return n == kBatch;
}

}  // namespace smalld
