// SPDX-License-Identifier: BSD-2-Clause
// The stamp-sender's peers: configuration and reload, the send schedule and
// name resolution. The sockets are stamp_sender_io.cpp's.
#include <arpa/inet.h>
#include <time.h>

#include <algorithm>
#include <cstring>

#include "clock.h"
#include "log.h"
#include "stamp_packet.h"
#include "stamp_sender_io.h"

namespace smalld {

namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kUnknownTtl = 300'000 * kMs;  // look again in 5 minutes
constexpr int64_t kRetry = 30'000 * kMs;        // after a failed lookup
constexpr int64_t kTick = 10 * kMs;             // the time between ticks, on average
// Replies wait in the socket for the next tick when it is this near; a
// sender that ticks less often is woken by each reply.
constexpr int64_t kReadWithin = 2 * kTick;

// The least packet a session builds: the base packet, authenticated or not.
uint32_t least_size(const StampSenderSettings& s) {
    return uint32_t(s.auth.key.empty() ? stamp::kBaseSize : stamp::kAuthBaseSize);
}

uint16_t ssid_of(const std::string& name) {
    uint32_t h = 2166136261u;  // FNV-1a
    for (char c : name) h = (h ^ uint8_t(c)) * 16777619u;
    return uint16_t(h % 65535 + 1);  // never 0
}

bool loopback(const SockAddr& a) {
    auto b = a.address_bytes();
    if (b.size() == 4) return b[0] == 127;
    static const uint8_t one[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return b.size() == 16 && std::memcmp(b.data(), one, 16) == 0;
}

// The settings a peer's session is made with: a change restarts them all.
bool same_sending(const StampSenderSettings& a, const StampSenderSettings& b) {
    return a.interval == b.interval && a.sizes == b.sizes && a.auth.key == b.auth.key &&
           a.auth.auth == b.auth.auth && a.timeout == b.timeout && a.window == b.window;
}

}  // namespace

StampSender::StampSender(event_base* base, std::shared_ptr<InstanceStats> stats)
    : base_(base),
      stats_(std::move(stats)),
      io_(std::make_unique<Io>()),
      timer_(base, on_tick, this),
      send_turn_(evtimer_new(
          base,
          [](evutil_socket_t, short, void* self) { static_cast<StampSender*>(self)->send_due(); },
          this)),
      random_(Random::from_clock()) {}

StampSender::~StampSender() {
    for (auto& peer : peers_)
        if (peer->lookup) evdns_cancel_request(dns_, peer->lookup);
    if (dns_) evdns_base_free(dns_, 0);
    stats_->sender.peers.clear();  // their series end with the sender
}

std::vector<std::string> StampSender::configure(const InstanceConfig& config) {
    StampSenderSettings next = own_settings<StampSenderSettings>(config);
    std::vector<SenderPeer> wanted = all_peers(next);
    bool keep = !peers_.empty() && same_sending(settings_, next);
    std::string where = "[" + config.name + "] peer ";
    std::vector<std::string> changes;
    int64_t interval = next.interval.count() * kMs, now = clock_ns(CLOCK_MONOTONIC);
    stamp::SenderSettings session;
    session.interval_ns = interval;
    tick_ns_ = std::min(kTick, interval / 8);
    uint32_t largest = least_size(next);
    for (uint32_t size : next.sizes) largest = std::max(largest, size);
    io_->fit_slots(largest);
    session.timeout_ns = next.timeout.count() * kMs;
    session.key = {reinterpret_cast<const uint8_t*>(next.auth.key.data()), next.auth.key.size()};
    session.error_estimate =
        stamp::error_estimate(stamp::read_clock_status(), stamp::TimestampFormat::Ntp);
    io_->local_error_s = stamp::error_estimate_seconds(session.error_estimate);
    size_t window =
        size_t(std::clamp<int64_t>(next.window.count() / next.interval.count() + 1, 1, 1024));
    std::vector<std::unique_ptr<Peer>> old = std::move(peers_);
    peers_.clear();
    for (size_t i = 0; i < wanted.size(); ++i) {
        const SenderPeer& want = wanted[i];
        auto same = std::find_if(old.begin(), old.end(),
                                 [&](const auto& p) { return p && p->conf.same_target(want); });
        if (keep && same != old.end()) {
            peers_.push_back(std::move(*same));
            continue;
        }
        auto peer = std::make_unique<Peer>();
        peer->owner = this;
        peer->conf = want;
        session.ssid = ssid_of(want.name);
        peer->stats = std::make_shared<SenderPeerStats>(want.name, session,
                                                        next.window.count() * kMs, window);
        // New peers spread evenly over one interval from now.
        peer->ideal = now + int64_t(i) * interval / int64_t(wanted.size());
        peer->due = peer->ideal;
        std::string target = want.host + " port " + std::to_string(want.port);
        if (same != old.end())
            changes.push_back(where + want.name + " restarted (" + target + "): interval, size, " +
                              "auth, timeout or window changed");
        else {
            auto renamed = std::find_if(old.begin(), old.end(), [&](const auto& p) {
                return p && p->conf.host == want.host && p->conf.port == want.port;
            });
            if (renamed != old.end()) {
                changes.push_back(where + (*renamed)->conf.name + " renamed " + want.name + " (" +
                                  target + ")");
                if ((*renamed)->lookup) evdns_cancel_request(dns_, (*renamed)->lookup);
                renamed->reset();
            } else if (!stats_->sender.peers.empty() || !old.empty()) {
                changes.push_back(where + want.name + " added (" + target + ")");
            }
        }
        if (same != old.end()) {
            if ((*same)->lookup) evdns_cancel_request(dns_, (*same)->lookup);
            same->reset();
        }
        peers_.push_back(std::move(peer));
    }
    for (auto& gone : old) {
        if (!gone) continue;
        changes.push_back(where + gone->conf.name + " removed");
        if (gone->lookup) evdns_cancel_request(dns_, gone->lookup);
    }
    old.clear();
    settings_ = std::move(next);
    for (Io::Socket* s : {&io_->v4, &io_->v6})
        if (s->fd) Io::size_receive_buffer(s->fd.get(), settings_.receive_buffer);
    section_ = config.name;
    stats_->sender.exported = settings_.exported;
    stats_->sender.peers.clear();
    io_->by_address.clear();
    for (auto& peer : peers_) {
        stats_->sender.peers.push_back(peer->stats);
        if (!peer->resolved && !peer->lookup) resolve(*peer);
        if (peer->resolved) io_->by_address.emplace(address_key(peer->addr), peer.get());
    }
    reschedule();
    return changes;
}

void StampSender::resolve(Peer& peer) {
    SockAddr a;
    auto* in4 = reinterpret_cast<sockaddr_in*>(a.get());
    auto* in6 = reinterpret_cast<sockaddr_in6*>(a.get());
    if (inet_pton(AF_INET, peer.conf.host.c_str(), &in4->sin_addr) == 1)
        return resolved(peer, AF_INET, &in4->sin_addr, -1);
    if (inet_pton(AF_INET6, peer.conf.host.c_str(), &in6->sin6_addr) == 1)
        return resolved(peer, AF_INET6, &in6->sin6_addr, -1);
    if (!dns_) dns_ = evdns_base_new(base_, EVDNS_BASE_INITIALIZE_NAMESERVERS);
    if (!dns_) {
        peer.resolve_at = clock_ns(CLOCK_MONOTONIC) + kRetry;
        return;
    }
    peer.lookup =
        peer.lookup_v6
            ? evdns_base_resolve_ipv6(dns_, peer.conf.host.c_str(), 0, on_resolved, &peer)
            : evdns_base_resolve_ipv4(dns_, peer.conf.host.c_str(), 0, on_resolved, &peer);
}

void StampSender::on_resolved(int result, char type, int count, int ttl, void* addresses,
                              void* arg) {
    // Cancelled: the peer may be gone already; its memory is not touched.
    if (result == DNS_ERR_CANCEL || result == DNS_ERR_SHUTDOWN) return;
    auto& peer = *static_cast<Peer*>(arg);
    peer.lookup = nullptr;
    if (result == DNS_ERR_NONE && count > 0 && (type == DNS_IPv4_A || type == DNS_IPv6_AAAA))
        return peer.owner->resolved(peer, type == DNS_IPv4_A ? AF_INET : AF_INET6, addresses, ttl);
    if (!peer.lookup_v6) {  // no A record: try AAAA
        peer.lookup_v6 = true;
        return peer.owner->resolve(peer);
    }
    peer.lookup_v6 = false;
    peer.resolve_at = clock_ns(CLOCK_MONOTONIC) + kRetry;
    LOG_WARNING("[%s] peer %s: cannot resolve %s; trying again in 30s",
                peer.owner->section_.c_str(), peer.conf.name.c_str(), peer.conf.host.c_str());
}

void StampSender::resolved(Peer& peer, int family, const void* address, int ttl) {
    SockAddr a;
    if (family == AF_INET) {
        auto* in4 = reinterpret_cast<sockaddr_in*>(a.get());
        in4->sin_family = AF_INET;
        std::memcpy(&in4->sin_addr, address, 4);
        a.len = sizeof(sockaddr_in);
    } else {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(a.get());
        in6->sin6_family = AF_INET6;
        std::memcpy(&in6->sin6_addr, address, 16);
        a.len = sizeof(sockaddr_in6);
    }
    a.set_port(peer.conf.port);
    bool literal = ttl < 0;
    if (peer.resolved) {
        auto range = io_->by_address.equal_range(address_key(peer.addr));
        for (auto it = range.first; it != range.second; ++it)
            if (it->second == &peer) {
                io_->by_address.erase(it);
                break;
            }
    }
    peer.addr = a;
    peer.resolved = true;
    peer.lookup_v6 = false;
    peer.stats->address = a.to_string();
    peer.stats->same_clock = loopback(a);
    peer.resolve_at =
        literal ? 0
                : clock_ns(CLOCK_MONOTONIC) + (ttl > 0 ? int64_t(ttl) * 1000 * kMs : kUnknownTtl);
    io_->by_address.emplace(address_key(a), &peer);
}

// The schedule is a min-heap of (due, peer): each tick costs the peers due,
// not all of them.
namespace {
constexpr auto kLater = [](const auto& a, const auto& b) { return a.first > b.first; };
}  // namespace

void StampSender::reschedule() {
    schedule_.clear();
    schedule_.reserve(peers_.size());
    for (auto& peer : peers_) schedule_.emplace_back(peer->due, peer.get());
    std::make_heap(schedule_.begin(), schedule_.end(), kLater);
    arm();
}

void StampSender::arm() {
    between_ticks_ = true;
    if (!schedule_.empty()) {
        int64_t now = clock_ns(CLOCK_MONOTONIC);
        // The tick after this one is jittered by up to an eighth either way,
        // so that it never beats with another periodic load on the loop (a
        // probe every millisecond would meet every tenth tick, or none).
        int64_t gap =
            tick_ns_ - tick_ns_ / 8 + int64_t(random_.next() % uint64_t(tick_ns_ / 4 + 1));
        int64_t next = std::max({schedule_.front().first, last_tick_ + gap, now});
        timer_.at(next);
        between_ticks_ = next - now > kReadWithin;
    } else {
        timer_.cancel();
    }
    for (Io::Socket* s : {&io_->v4, &io_->v6})
        if (s->fd) Io::listen(*s, between_ticks_);
}

void StampSender::on_tick(void* self) {
    static_cast<StampSender*>(self)->tick();
}

// A tick in two turns of the loop: the replies now, the sends on the next
// turn (a zero timeout runs after the descriptors that are ready then), so
// that a datagram for a service that came in meanwhile waits for half a
// tick's work, not all of it.
void StampSender::tick() {
    last_tick_ = clock_ns(CLOCK_MONOTONIC);
    for (Io::Socket* s : {&io_->v4, &io_->v6})
        if (s->fd) io_->read(*s, *this, stats_->sender);
    timeval at_once{};
    evtimer_add(send_turn_.get(), &at_once);
}

// Every peer due now gets its packet: those of one family in one sendmmsg().
void StampSender::send_due() {
    int64_t now = clock_ns(CLOCK_MONOTONIC), interval = settings_.interval.count() * kMs;
    struct Batch {
        int family = AF_INET;
        size_t first_slot = 0, n = 0;
        Io::Socket* socket = nullptr;
        Peer* peers[Io::kBatch];
        uint32_t seqs[Io::kBatch], sizes[Io::kBatch];
    } batches[2];
    batches[1].family = AF_INET6;
    batches[1].first_slot = Io::kBatch;
    auto flush = [&](Batch& b) {
        if (b.socket && b.n) io_->send(*b.socket, b.first_slot, b.peers, b.seqs, b.sizes, b.n);
        b.n = 0;
    };
    int64_t real = clock_ns(CLOCK_REALTIME);
    bool caught_up = false;
    while (!schedule_.empty() && schedule_.front().first <= now) {
        std::pop_heap(schedule_.begin(), schedule_.end(), kLater);
        Peer* peer = schedule_.back().second;
        // The next send: one interval on from the last ideal time, never from
        // the late one, jittered by up to a tenth of the interval.
        peer->ideal = std::max(peer->ideal + interval, now - interval);
        peer->due =
            peer->ideal + int64_t(random_.next() % uint64_t(interval / 10 + 1)) - interval / 20;
        schedule_.back().first = peer->due;
        std::push_heap(schedule_.begin(), schedule_.end(), kLater);
        if (peer->resolve_at && now >= peer->resolve_at && !peer->lookup) {
            peer->resolve_at = 0;
            resolve(*peer);
        }
        // What has arrived, and what the kernel dropped, is known before a
        // packet is settled as lost.
        if (!caught_up && peer->stats->session.settles_a_loss(real)) {
            io_->catch_up(*this, stats_->sender);
            caught_up = true;
        }
        peer->stats->session.expire(real);
        if (!peer->resolved) continue;  // down, and counted so; nothing to send to
        Batch& b = batches[peer->addr.family() == AF_INET ? 0 : 1];
        if (!b.socket) b.socket = io_->socket(b.family, base_, settings_.dscp, this);
        if (!b.socket) {  // counted as not sent; tried again next interval
            ++stats_->sender.send_errors;
            continue;
        }
        uint32_t size = settings_.sizes[peer->size_index++ % settings_.sizes.size()];
        std::span<uint8_t> out(io_->out.data() + (b.first_slot + b.n) * io_->stride, io_->stride);
        b.seqs[b.n] = peer->stats->session.build(out, size, real);
        b.sizes[b.n] = std::max(size, least_size(settings_));
        b.peers[b.n++] = peer;
        if (b.n == Io::kBatch) flush(b);
    }
    for (Batch& b : batches) flush(b);
    arm();
}

void StampSender::on_readable(evutil_socket_t fd, short, void* self) {
    auto* sender = static_cast<StampSender*>(self);
    // What is left after a few batches is read after the loop's turn; once
    // the socket is empty, the next replies wait for the next tick.
    if (Io::Socket* s = sender->io_->of_fd(int(fd))) {
        sender->io_->read(*s, *sender, sender->stats_->sender);
        Io::listen(*s, sender->between_ticks_);
    }
}

}  // namespace smalld
