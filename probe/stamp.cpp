// SPDX-License-Identifier: BSD-2-Clause
// smallprobe stamp: sends STAMP test packets on a fixed schedule, reads the
// reflected ones with their kernel receive timestamps (T4), and reports.
#include "stamp.h"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <random>

#include "clock.h"
#include "datagram_ledger.h"
#include "net.h"
#include "procstat.h"
#include "run.h"
#include "stamp_packet.h"
#include "stamp_tlv.h"

namespace smallprobe {
namespace {

namespace stamp = smalld::stamp;

constexpr size_t kClosingPackets = 3;

int64_t to_ns(smalld::WallTime t) {
    return t.unix_seconds * 1'000'000'000 + t.nanos;
}

smalld::WallTime from_ns(int64_t ns) {
    return {ns / 1'000'000'000, static_cast<uint32_t>(ns % 1'000'000'000)};
}

class Sender {
  public:
    Sender(const StampOptions& o, FILE* out)
        : o_(o), out_(out), stamps_(o.timestamping, o.follow_up, o.timestamp_info) {
        std::random_device random;
        // From 2^24 up: a stateful reflector's own count (from 0) never
        // equals ours, so the summary can tell the two kinds apart.
        base_ = (uint32_t(random()) % (1u << 30)) + (1u << 24);
        key_.assign(o.key.begin(), o.key.end());
        format_ = o.ptp ? stamp::TimestampFormat::Ptp : stamp::TimestampFormat::Ntp;
        local_estimate_ = stamp::error_estimate(stamp::read_clock_status(), format_);
    }

    int open(std::string* error) {
        addrinfo hints{};
        hints.ai_family = o_.family;
        hints.ai_socktype = SOCK_DGRAM;
        addrinfo* found = nullptr;
        int rc = getaddrinfo(o_.host.c_str(), o_.port.c_str(), &hints, &found);
        if (rc != 0) {
            *error = o_.host + ": " + gai_strerror(rc);
            return -1;
        }
        std::memcpy(&peer_, found->ai_addr, found->ai_addrlen);
        socklen_t len = found->ai_addrlen;
        freeaddrinfo(found);
        fd_ = socket(peer_.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&peer_), len) != 0) {
            *error = std::string("cannot reach ") + o_.host + ": " + strerror(errno);
            return -1;
        }
        int ttl = 255;  // so the reflected TTL gives the hop count
        if (peer_.ss_family == AF_INET) {
            setsockopt(fd_, IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
            if (o_.tos >= 0) setsockopt(fd_, IPPROTO_IP, IP_TOS, &o_.tos, sizeof o_.tos);
        } else {
            setsockopt(fd_, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl);
            if (o_.tos >= 0) setsockopt(fd_, IPPROTO_IPV6, IPV6_TCLASS, &o_.tos, sizeof o_.tos);
        }
        enable_reply_header(fd_, peer_.ss_family);
        header_bytes_ = peer_.ss_family == AF_INET6 ? 48 : 28;
        sizes_ = o_.sizes;  // a train without -s fills the route's MTU, at most 1500
        if (o_.train && !o_.sizes_given)
            sizes_ = {std::max(uint32_t(route_mtu(fd_, 1500)) - header_bytes_, o_.sizes[0])};
        int buffer = 4 << 20;
        setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
        stamps_.open(fd_);
        return fd_;
    }

    void run() {
        uint64_t start = now_ns();
        uint64_t next = start, report_at = start + o_.report_ns, report_from = start;
        uint64_t stop_sending = o_.duration_ns ? start + o_.duration_ns : UINT64_MAX;
        uint64_t deadline = UINT64_MAX;
        bool sending = true;
        size_t reported = 0, sent_reported = 0;
        while (!stop_requested()) {
            uint64_t now = now_ns();
            if (sending && now >= next) {
                for (uint32_t k = 0; k < std::max(1u, o_.train); ++k) send_one();  // a train
                next += o_.interval_ns;
                if ((o_.count && probes_.size() >= o_.count) || next >= stop_sending) {
                    sending = false;
                    deadline = now_ns() + o_.timeout_ns;
                }
                continue;
            }
            bool done =
                received_ == probes_.size() || (!closing_.empty() && closing_.back().received);
            if (!sending && !done && now >= deadline && close_tail()) {
                deadline = now_ns() + o_.timeout_ns;
                continue;
            }
            if (!sending && (done || now >= deadline)) break;
            if (o_.report_ns && !o_.json && now >= report_at) {
                report_interval(report_from - start, now - start, reported, sent_reported);
                reported = arrivals_.size();
                sent_reported = probes_.size();
                report_from = now;
                report_at += o_.report_ns;
            }
            uint64_t until = sending ? next : deadline;
            if (o_.report_ns && !o_.json) until = std::min(until, report_at);
            uint64_t wait = until > now ? until - now : 0;
            timespec ts{time_t(wait / kNsPerSec), long(wait % kNsPerSec)};
            pollfd p{fd_, POLLIN, 0};
            if (ppoll(&p, 1, &ts, nullptr) > 0) {
                stamps_.collect(fd_, probes_);  // POLLERR: transmit timestamps
                receive_all();
            }
        }
        stamps_.collect(fd_, probes_);
        if (o_.report_ns && !o_.json &&
            (arrivals_.size() > reported || probes_.size() > sent_reported))
            report_interval(report_from - start, now_ns() - start, reported, sent_reported);
    }

    StampSummary summary() const {
        bool meaningful = o_.same_clock || is_loopback(peer_) ||
                          ((local_estimate_ & 0x8000) && reflector_synchronized_);
        StampSummary s = summarize(probes_, meaningful, closing_);
        stamps_.summarize(probes_, local_estimate_, reflector_estimate_,
                          o_.same_clock || is_loopback(peer_), s.timestamps);
        s.auth_failures = auth_failures_;
        s.short_replies = short_replies_;
        if (!o_.tlvs.empty()) s.extensions = last_reply_.describe(key_);
        s.capacity = estimate_capacity(probes_, o_.train, header_bytes_);
        return s;
    }

    const std::vector<Probe>& probes() const { return probes_; }

    // How long the sending lasted (from `started` to the last packet sent).
    uint64_t sending_ns(uint64_t started) const {
        return last_send_ > started ? last_send_ - started : 0;
    }

  private:
    void send_one() {
        probes_.emplace_back();
        send_probe(probes_.back(), probes_.size() - 1);
        last_send_ = now_ns();
    }

    // The packet of our sequence `index` (closing packets after the run's).
    void send_probe(Probe& p, size_t index) {
        uint32_t size = sizes_[index % sizes_.size()];
        bool auth = !key_.empty();
        const stamp::Layout& at = auth ? stamp::kAuthenticated : stamp::kUnauthenticated;
        std::memset(packet_, 0, size);
        p.seq = base_ + uint32_t(index);
        p.size = size;
        stamp::store32(packet_, p.seq);
        stamp::store16(packet_ + at.error_estimate, local_estimate_);
        stamp::store16(packet_ + at.ssid, o_.ssid);
        // S_TX: the packets sent in this run, this one included.
        size_t tlvs = at.base;
        if (o_.counters && size >= at.base + 16) {
            stamp::put_direct_measurement({packet_ + at.base, 16}, uint32_t(index + 1));
            tlvs += 16;
        }
        tlvs += stamps_.put_tlvs(packet_ + tlvs, size > tlvs ? size - tlvs : 0);
        if (!o_.tlvs.empty())
            write_tlv_requests({packet_ + at.base, size - at.base}, tlvs - at.base, o_.tlvs, key_,
                               p.seq);
        // T1 as late as it can be read: then only its HMAC (a keyed state
        // copied, stamp_hmac.h) before the packet goes to the kernel.
        p.t1 = realtime_ns();
        stamp::store64(packet_ + at.timestamp, stamp::encode_timestamp(from_ns(p.t1), format_));
        if (auth) stamp::hmac16(key_, {packet_, stamp::kHmacOffset}, packet_ + stamp::kHmacOffset);
        if (send(fd_, packet_, size, MSG_DONTWAIT) < 0)
            ++send_errors_;
        else
            stamps_.sent(index);
    }

    // A lost tail has no later reply to count it: closing packets (never
    // counted as sent), one each -w until one is answered, fetch the
    // reflector's counts after it. False when none is wanted (any more).
    bool close_tail() {
        auto last = std::find_if(probes_.rbegin(), probes_.rend(),
                                 [](const Probe& p) { return p.received && p.counted; });
        if (!o_.counters || last == probes_.rbegin() || last == probes_.rend() ||
            closing_.size() >= kClosingPackets)
            return false;
        closing_.emplace_back();
        send_probe(closing_.back(), probes_.size() + closing_.size() - 1);
        return true;
    }

    void receive_all() {
        for (;;) {
            iovec iov{reply_, sizeof reply_};
            alignas(cmsghdr) uint8_t control[256];
            msghdr h{};
            h.msg_iov = &iov;
            h.msg_iovlen = 1;
            h.msg_control = control;
            h.msg_controllen = sizeof control;
            ssize_t n = recvmsg(fd_, &h, MSG_DONTWAIT);
            if (n < 0) return;
            ReplyHeader header = read_reply_header(h);
            if (!header.t4) header.t4 = realtime_ns();
            take(size_t(n), header);
        }
    }

    void take(size_t n, const ReplyHeader& header) {
        bool auth = !key_.empty();
        const stamp::Layout& at = auth ? stamp::kAuthenticated : stamp::kUnauthenticated;
        if (auth && !stamp::hmac_matches(key_, {reply_, n})) {
            ++auth_failures_;
            return;
        }
        // A TWAMP-Light reflector's reply may stop after the sender's error
        // estimate (38 bytes) or its TTL (41).
        if (n < at.sender_error_estimate + 2) {
            ++short_replies_;
            return;
        }
        uint32_t index = stamp::load32(reply_ + at.sender_sequence) - base_;
        bool closing = index >= probes_.size();
        if (closing && index - probes_.size() >= closing_.size()) return;  // not ours
        Probe& p = closing ? closing_[index - probes_.size()] : probes_[index];
        if (p.received) {
            ++p.copies;
            return;
        }
        uint16_t estimate = stamp::load16(reply_ + at.error_estimate);
        auto format = estimate & 0x4000 ? stamp::TimestampFormat::Ptp : stamp::TimestampFormat::Ntp;
        p.received = true;
        p.copies = 1;
        p.arrival = arrivals_.size();
        p.reflector_seq = stamp::load32(reply_);
        p.t2 = to_ns(stamp::decode_timestamp(stamp::load64(reply_ + at.receive_timestamp), format));
        p.t3 = to_ns(stamp::decode_timestamp(stamp::load64(reply_ + at.timestamp), format));
        p.t4 = header.t4;
        p.ttl = n > at.sender_ttl ? reply_[at.sender_ttl] : -1;
        // R_RX counts this packet: 0 is a TLV the reflector did not fill
        // (a stateless or RFC 8762-only reflector).
        stamp::DirectMeasurement dm;  // zeros when the reply has none
        p.counted = o_.counters && n > at.base &&
                    stamp::find_direct_measurement({reply_ + at.base, n - at.base}, dm) &&
                    dm.reflector_rx != 0;
        p.reflector_rx = dm.reflector_rx;
        p.reflector_tx = dm.reflector_tx;
        p.reflector_synchronized = estimate & 0x8000;
        reflector_estimate_ = estimate;
        if (closing) return;  // no reply of the run
        if (n > at.base)
            stamps_.replied(probes_, index, {reply_ + at.base, n - at.base},
                            format == stamp::TimestampFormat::Ptp);
        reflector_synchronized_ =
            (received_ == 0 || reflector_synchronized_) && (estimate & 0x8000);
        arrivals_.push_back(index);
        ++received_;
        if (!o_.tlvs.empty())
            last_reply_.note(header, {reply_ + at.base, n - std::min(n, at.base)}, p.reflector_seq);
    }

    // Every number of the line is of the interval: the packets sent in it,
    // the replies that arrived in it and their delays.
    void report_interval(uint64_t from, uint64_t to, size_t first, size_t first_sent) {
        print_stamp_interval(out_, o_.unit, double(from) / 1e9, double(to) / 1e9,
                             probes_.size() - first_sent, probes_, arrivals_, first);
        std::fflush(out_);
    }

    const StampOptions& o_;
    FILE* out_;
    int fd_ = -1;
    sockaddr_storage peer_{};
    uint32_t base_ = 0;
    std::vector<uint8_t> key_;
    stamp::TimestampFormat format_;
    uint16_t local_estimate_ = 0, reflector_estimate_ = 0;
    SenderTimestamping stamps_;
    std::vector<uint32_t> sizes_;  // o_.sizes, or a train's filling the MTU
    uint32_t header_bytes_ = 28;   // IP and UDP
    std::vector<Probe> probes_;
    std::vector<Probe> closing_;  // close_tail()'s
    std::vector<size_t> arrivals_;
    uint64_t received_ = 0, auth_failures_ = 0, short_replies_ = 0, send_errors_ = 0;
    bool reflector_synchronized_ = false;
    uint64_t last_send_ = 0;
    LastReply last_reply_;  // --tlv
    uint8_t packet_[65536];
    uint8_t reply_[65536];
};

}  // namespace

std::optional<StampRun> run_stamp(const StampOptions& o, FILE* out, std::string* error) {
    auto sender = std::make_unique<Sender>(o, out);
    if (sender->open(error) < 0) return std::nullopt;
    install_stop_signals();
    std::optional<uint64_t> server_before;
    if (o.server_pid) server_before = process_cpu_ns(o.server_pid);
    uint64_t started = now_ns();
    sender->run();
    double elapsed = double(sender->sending_ns(started)) / 1e9;
    StampRun run{sender->summary(), sender->probes()};
    StampSummary& s = run.summary;
    if (elapsed > 0) s.ops_per_s = double(s.received) / elapsed;
    if (server_before && s.received)
        if (auto after = process_cpu_ns(o.server_pid))
            s.server_cpu_us_per_op = double(*after - *server_before) / 1000.0 / double(s.received);
    return run;
}

}  // namespace smallprobe
