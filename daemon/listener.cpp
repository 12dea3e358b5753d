#include "listener.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "contain.h"
#include "datagram_control.h"
#include "log.h"
#include "service_registry.h"
#include "session.h"

namespace smalld {

const char* to_string(Proto proto) {
    return proto == Proto::Tcp ? "tcp" : "udp";
}
const char* to_string(Origin origin) {
    return origin == Origin::Config ? "config" : "systemd";
}

namespace {

constexpr int kAcceptsPerWakeup = 64;
constexpr timeval kAcceptPause = {1, 0};
LogLimiter fd_log("accept paused", 5, std::chrono::seconds(10));
LogLimiter send_log("udp send errors", 5, std::chrono::seconds(10));

}  // namespace

Fd bind_socket(Proto proto, const SockAddr& addr, int backlog, std::string* error) {
    int type = (proto == Proto::Tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC;
    Fd fd(socket(addr.family(), type, 0));
    auto fail = [&](const char* step) {
        int err = errno;
        *error = std::string("cannot ") + step + " " + to_string(proto) + " " + addr.to_string() +
                 ": " + strerror(err);
        if (err == EACCES && addr.port() < 1024)
            *error += " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
        if (err == EADDRINUSE) *error += " (another program, or another smalld, has it)";
        if (err == EADDRNOTAVAIL) *error += " (no interface has this address)";
        return Fd();
    };
    if (!fd) return fail("create socket for");
    int one = 1;
    if (proto == Proto::Tcp) setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (addr.family() == AF_INET6)
        setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd.get(), addr.get(), addr.len) != 0) return fail("bind");
    if (proto == Proto::Tcp && listen(fd.get(), backlog) != 0) return fail("listen on");
    return fd;
}

Listener::Listener(ListenerContext& context, std::shared_ptr<Instance> instance, Proto proto,
                   const SockAddr& configured, Fd fd, Origin origin)
    : context_(context),
      instance_(std::move(instance)),
      proto_(proto),
      configured_(configured),
      fd_(std::move(fd)),
      origin_(origin) {
    actual_.len = sizeof actual_.storage;
    if (getsockname(fd_.get(), actual_.get(), &actual_.len) != 0) actual_ = configured_;
}

Listener::~Listener() = default;

void Listener::start(event_base* base) {
    if (proto_ == Proto::Udp) {
        // On every UDP socket, systemd's too: the destination of each datagram,
        // to answer from the address the peer talked to (multi-homed hosts) and
        // to drop datagrams sent to a broadcast or multicast address.
        int one = 1;
        if (actual_.family() == AF_INET)
            setsockopt(fd_.get(), IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
        else
            setsockopt(fd_.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
        enable_datagram_metadata(fd_.get(), actual_.family());
    }
    ready_.reset(event_new(base, fd_.get(), EV_READ | EV_PERSIST, on_ready_cb, this));
    resume_.reset(event_new(base, -1, 0, on_resume_cb, this));
    event_add(ready_.get(), nullptr);
}

void Listener::stop() {
    ready_.reset();
    resume_.reset();
}

void Listener::set_instance(std::shared_ptr<Instance> instance) {
    if (proto_ == Proto::Tcp && origin_ == Origin::Config &&
        instance->config.backlog != instance_->config.backlog)
        listen(fd_.get(), instance->config.backlog);  // Linux adjusts the backlog in place
    instance_ = std::move(instance);
}

void Listener::on_ready_cb(evutil_socket_t, short, void* self) {
    auto* listener = static_cast<Listener*>(self);
    contain(listener->proto_ == Proto::Tcp ? "accept" : "datagram", [&] {
        if (listener->proto_ == Proto::Tcp)
            listener->accept_ready();
        else
            listener->datagrams_ready();
    });
}

void Listener::on_resume_cb(evutil_socket_t, short, void* self) {
    auto* listener = static_cast<Listener*>(self);
    if (listener->ready_) event_add(listener->ready_.get(), nullptr);
}

void Listener::reject(const SockAddr& peer, RejectReason reason) {
    instance_->stats->tcp.reject(reason);
    if (context_.on_reject) context_.on_reject(*instance_, proto_, peer, to_string(reason));
}

void Listener::drop(const SockAddr& peer, DropReason reason) {
    instance_->stats->udp.drop(reason);
    if (context_.on_reject) context_.on_reject(*instance_, proto_, peer, to_string(reason));
}

void Listener::accept_ready() {
    for (int i = 0; i < kAcceptsPerWakeup; ++i) {
        SockAddr peer;
        peer.len = sizeof peer.storage;
        int fd = accept4(fd_.get(), peer.get(), &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            admit(fd, peer);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            // Out of descriptors: the connection waits in the backlog. Pause
            // instead of spinning on a socket that stays readable. Counted
            // once per failed accept, that is once per pause.
            instance_->stats->tcp.reject(RejectReason::Fd);
            fd_log.write(LogLevel::Warning, "%s: accept on %s: %s; pausing accept for 1s",
                         instance_->config.name.c_str(), actual_.to_string().c_str(),
                         strerror(errno));
            event_del(ready_.get());
            event_add(resume_.get(), &kAcceptPause);
        }
        return;  // EAGAIN and the rest
    }
}

void Listener::admit(int fd, const SockAddr& peer) {
    SessionTable& sessions = *context_.sessions;
    ConnectionDecision admission =
        admit_connection(instance_->config, instance_->state->admission,
                         {peer, sessions.size(), context_.max_connections, monotonic_ms()});
    if (!admission.admitted) {
        ::close(fd);
        reject(peer, admission.reason);
        return;
    }
    sessions.open(instance_, fd, peer);
}

namespace {

constexpr unsigned kBatch = 32;
constexpr size_t kMaxDatagram = 65536;
constexpr size_t kReplyControlSize =
    CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(in_pktinfo));

// Buffers for one batch, shared by every endpoint: one thread, one batch at a time.
struct Batch {
    std::vector<uint8_t> in = std::vector<uint8_t>(kBatch * kMaxDatagram);
    std::vector<uint8_t> out = std::vector<uint8_t>(kBatch * kMaxDatagram);
    mmsghdr recv_msgs[kBatch];
    iovec recv_iov[kBatch];
    sockaddr_storage sources[kBatch];
    alignas(cmsghdr) uint8_t recv_control[kBatch][kDatagramControlSize];
    mmsghdr send_msgs[kBatch];
    iovec send_iov[kBatch];
    alignas(cmsghdr) uint8_t send_control[kBatch][kReplyControlSize];
    uint32_t seal[kBatch];  // Datagram::seal of each reply
};

Batch& batch() {
    static Batch* b = new Batch();  // never freed: lives as long as the process
    return *b;
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

}  // namespace

void Listener::datagrams_ready() {
    Batch& b = batch();
    for (unsigned i = 0; i < kBatch; ++i) {
        b.recv_iov[i] = {b.in.data() + i * kMaxDatagram, kMaxDatagram};
        msghdr& h = b.recv_msgs[i].msg_hdr;
        h = {};
        h.msg_name = &b.sources[i];
        h.msg_namelen = sizeof b.sources[i];
        h.msg_iov = &b.recv_iov[i];
        h.msg_iovlen = 1;
        h.msg_control = b.recv_control[i];
        h.msg_controllen = kDatagramControlSize;
    }
    int received = recvmmsg(fd_.get(), b.recv_msgs, kBatch, MSG_DONTWAIT, nullptr);
    if (received <= 0) return;

    const InstanceConfig& config = instance_->config;
    ProtoStats& stats = instance_->stats->udp;
    WallTime now = wall_now();  // for a datagram the kernel did not time-stamp
    int64_t now_ms = monotonic_ms();
    Service& service = *instance_->service;
    size_t reply_floor = service_spec(config.type).udp_reply_floor;
    unsigned replies = 0;
    for (int i = 0; i < received; ++i) {
        const msghdr& h = b.recv_msgs[i].msg_hdr;
        size_t len = b.recv_msgs[i].msg_len;
        SockAddr peer = SockAddr::from(static_cast<sockaddr*>(h.msg_name), h.msg_namelen);
        ++stats.datagrams_in;
        stats.bytes_read += len;
        DatagramDecision admission = admit_datagram(
            config, reply_floor, instance_->state->admission, {peer, h, len, now_ms});
        if (!admission.admitted) {
            drop(peer, admission.reason);
            continue;
        }
        size_t cap = admission.reply_cap;
        uint8_t* out = b.out.data() + replies * kMaxDatagram;
        Datagram d;
        d.payload = {b.in.data() + size_t(i) * kMaxDatagram, len};
        d.peer = &peer;
        SockAddr local;
        read_datagram_metadata(h, d, local);
        if (!d.kernel_timestamp) d.received = now;
        ptrdiff_t n = service.datagram(d, {out, cap});
        if (n == kReplyTooLarge) {
            drop(peer, DropReason::Amplification);
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
        r.msg_control = control ? b.send_control[replies] : nullptr;
        r.msg_controllen = control;
        b.seal[replies] = d.seal;
        ++replies;
    }
    // The replies leave now: a service that stamps its transmit time does it here.
    for (unsigned k = 0; k < replies; ++k)
        if (b.seal[k])
            service.seal({static_cast<uint8_t*>(b.send_iov[k].iov_base), b.send_iov[k].iov_len},
                         b.seal[k]);
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
        for (int k = 0; k < sent; ++k) {
            ++stats.datagrams_out;
            stats.bytes_written += b.send_msgs[done + unsigned(k)].msg_len;
        }
        done += unsigned(sent);
    }
}

}  // namespace smalld
