// SPDX-License-Identifier: BSD-2-Clause
#include "http_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "admission.h"
#include "contain.h"
#include "daemon.h"
#include "http_connection.h"
#include "http_request.h"
#include "listener.h"
#include "live_stream.h"
#include "log.h"

namespace smalld {

namespace {

// Connections not yet accepted: those whose request has not begun wait in
// the kernel (TCP_DEFER_ACCEPT), and the backlog is that queue's bound too;
// beyond it the kernel answers with SYN cookies, whose connections are
// accepted at once. The kernel caps it at net.core.somaxconn.
constexpr int kBacklog = 4096;
constexpr int kAcceptsPerWakeup = 32;
// After the last reply, what the client still sends is read and dropped for
// this long: closing with unread data would reset the connection, and the
// client could lose the reply (nginx's lingering close).
constexpr int kLingerMs = 2000;
LogLimiter accept_log("metrics: accept errors");
LogLimiter refuse_log("metrics: refusals");
LogLimiter timeout_log("metrics: request deadlines");
LogLimiter evict_log("metrics: evictions");

}  // namespace

HttpServer::HttpServer(Daemon& daemon) : daemon_(daemon) {}

HttpServer::~HttpServer() {
    connections_.clear();
    streams_.reset();
}

std::optional<StartError> HttpServer::start() {
    const SockAddr& want = *daemon_.config().metrics.listen;
    std::string error;
    fd_ = bind_socket(Proto::Tcp, want, kBacklog, &error);
    if (!fd_) return StartError{71, "metrics: " + error};
    // A connection takes a slot once its request has begun, or after
    // kDeferAcceptS without a byte: a client slow to send after its connect
    // (a loaded scraper) holds no slot meanwhile, so a flood's newcomers
    // cannot close it before its request is read.
    int defer = kDeferAcceptS;
    if (setsockopt(fd_.get(), IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer) != 0)
        LOG_WARNING("metrics: TCP_DEFER_ACCEPT: %s; connections take a slot at their connect",
                    strerror(errno));
    actual_.len = sizeof actual_.storage;
    if (getsockname(fd_.get(), actual_.get(), &actual_.len) != 0) actual_ = want;
    event_base* base = daemon_.base();
    acceptor_.start(base, fd_.get(), actual_.to_string(),
                    {"metrics", kAcceptsPerWakeup, &accept_log},
                    [this](int fd, const SockAddr& peer) { admit(fd, peer); });
    connections_.start(base, "metrics");
    start_live();
    std::string at = actual_.to_string();
    LOG_NOTICE("metrics: listening on http://%s/metrics, the live page at http://%s/", at.c_str(),
               at.c_str());
    return std::nullopt;
}

size_t HttpServer::connections() const {
    return connections_.size();
}

void HttpServer::timed_out(Connection& c) {
    if (c.idle || c.lingering) {
        c.close(c.idle ? "idle keep-alive connection timed out" : "closed");
        return;
    }
    ++daemon_.stats().counters.metrics_requests_timed_out_total;
    if (timeout_log.admit(LogLevel::Notice))
        LOG_NOTICE("metrics: %s did not finish a request within %dms; closed",
                   c.peer.to_string().c_str(), kRequestDeadlineMs);
    c.close("request deadline");
}

void HttpServer::refuse(int fd, const SockAddr& peer, const char* why, int status) {
    ++daemon_.stats().counters.metrics_connections_refused_total;
    if (refuse_log.admit(LogLevel::Notice))
        LOG_NOTICE("metrics: refused %s: %s", peer.to_string().c_str(), why);
    HttpReply reply;
    reply.status = status;
    if (status == 503) reply.extra_headers = "Retry-After: 1\r\n";
    reply.body = std::string(why) + "\n";
    std::string bytes = serialize_http_reply(reply, 1, false, false);
    (void)!send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::close(fd);
}

// Makes room by closing the connection that has sent least of its request
// for longest: an idle keep-alive connection costs its client a reconnect, a
// slow request its sender a retry; nobody being answered is cut.
bool HttpServer::evict(const SourceKey* only) {
    std::vector<EvictionCandidate> candidates;
    for (const auto& [id, c] : connections_) {
        if (c->dead() || c->stream || c->lingering || c->queued() > 0) continue;
        if (only && !(c->source == *only)) continue;
        candidates.push_back({id, c->in.size(), c->waiting_since_ms});
    }
    int64_t now = monotonic_ms();
    auto victim = choose_victim(candidates, now);
    if (!victim) return false;
    Connection& c = connections_.at(*victim);
    ++daemon_.stats().counters.metrics_connections_evicted_total;
    if (evict_log.admit(LogLevel::Notice))
        LOG_NOTICE(
            "metrics: closed %s (%s, %zu bytes of a request in %lldms) to make room for a "
            "new connection%s",
            c.peer.to_string().c_str(), c.idle ? "idle" : "request unfinished", c.in.size(),
            static_cast<long long>(now - c.waiting_since_ms), only ? " from the same address" : "");
    c.close("closed to make room for a new connection");
    return true;
}

void HttpServer::admit(int fd, const SockAddr& peer) {
    // Read at each connection, so that a reload applies it.
    if (!acl_allows(daemon_.config().metrics.allow, {}, peer))
        return refuse(fd, peer, "not admitted by [metrics] allow", 403);
    SourceKey source = source_key(peer);
    if (per_source_.of(source) >= kMaxPerSource && !evict(&source))
        return refuse(fd, peer, "too many connections from this address");
    if (connections_.live() >= kMaxConnections && !evict(nullptr))
        return refuse(fd, peer, "too many connections");
    auto c = std::make_unique<Connection>(*this);
    c->peer = peer;
    c->source = source;
    c->waiting_since_ms = monotonic_ms();
    per_source_.add(source);
    Connection& ref = connections_.add(std::move(c), fd);
    ref.arm(kRequestDeadlineMs);  // the first request's deadline runs from the accept
    // A request that came with the connection is answered now, before a
    // later newcomer could take it for a slow one.
    read_ready(ref);
}

void HttpServer::read_ready(Connection& c) {
    char buf[16384];
    ssize_t n = c.receive(buf, sizeof buf);
    if (n < 0) return;
    if (n == 0) {
        c.close("closed by the client");
        return;
    }
    if (c.lingering || c.stream) return;  // nothing more is read from them
    if (c.idle) {
        // The next request's first byte: its deadline starts now, whatever
        // pace the rest comes at.
        c.idle = false;
        c.arm(kRequestDeadlineMs);
    }
    c.in.append(buf, size_t(n));
    process(c);
}

void HttpServer::process(Connection& c) {
    HttpParse parsed = parse_http_request(c.in, kMaxHead);
    if (parsed.status == HttpParse::Status::NeedMore) return;
    HttpReply reply;
    int minor = 1;
    bool head = false;
    std::string last_event_id;
    if (parsed.status == HttpParse::Status::Bad) {
        reply.status = parsed.error_status;
        reply.body = std::string(http_reason(reply.status)) + "\n";
        reply.close = true;
        c.in.clear();
    } else {
        const HttpRequest& request = parsed.request;
        minor = request.minor;
        head = request.method == "HEAD";
        reply = route_http_request(
            request, [&](std::string_view path, HttpReply& r) { return answer(c, path, head, r); });
        c.in.erase(0, parsed.consumed);
        c.keep_alive = request.keep_alive;
        last_event_id = request.last_event_id;
    }
    ++c.requests;
    c.keep_alive =
        c.keep_alive && !reply.close && !reply.stream && c.requests < kMaxRequestsPerConnection;
    c.append(serialize_http_reply(reply, minor, head, c.keep_alive));
    if (reply.stream && !head) return start_stream(c, last_event_id);
    // One reply at a time: what follows waits until this one has left.
    c.reading(false);
    if (flush(c) && c.queued() > 0) c.writing(true);
}

bool HttpServer::flush(Connection& c) {
    if (!c.flush()) return false;
    if (c.queued() > 0 || c.stream) return true;
    replied(c);
    return !c.dead();
}

void HttpServer::write_ready(Connection& c) {
    if (flush(c) && c.queued() > 0) return;
    if (!c.dead()) c.writing(false);
}

// The reply has left: close, or go on with the next request.
void HttpServer::replied(Connection& c) {
    if (!c.keep_alive) {
        // Our side is done; the kernel sends what is queued before the FIN.
        shutdown(c.fd(), SHUT_WR);
        c.lingering = true;
        c.in.clear();
        c.writing(false);
        c.reading(true);
        c.arm(kLingerMs);
        return;
    }
    c.writing(false);
    c.reading(true);
    c.waiting_since_ms = monotonic_ms();
    if (!c.in.empty()) {
        c.arm(kRequestDeadlineMs);  // a pipelined request
        process(c);
        return;
    }
    c.idle = true;
    c.arm(kIdleTimeoutMs);
}

void HttpServer::closed(Connection& c, const char* reason) {
    LOG_DEBUG("metrics: connection %llu from %s closed: %s",
              static_cast<unsigned long long>(c.id()), c.peer.to_string().c_str(), reason);
    per_source_.remove(c.source);
    if (c.stream) {
        stream_sources_.remove(c.source);
        if (streams_) streams_->remove(c.id());
    }
}

}  // namespace smalld
