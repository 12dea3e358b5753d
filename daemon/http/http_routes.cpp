// SPDX-License-Identifier: BSD-2-Clause
// What the [metrics] listener answers, path by path, and the live page's
// moving parts: the once-a-second sample behind its rates and charts, and
// its event streams.
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <tuple>
#include <vector>

#include "build_config.h"
#include "contain.h"
#include "daemon.h"
#include "http_connection.h"
#include "http_request.h"
#include "live_page.h"
#include "live_stream.h"
#include "log.h"
#include "privacy.h"
#include "render.h"

namespace smalld {

namespace {

constexpr timeval kSampleEvery = {1, 0};
LogLimiter stream_log("metrics: event streams");

// 128 random bits for the page's Content-Security-Policy nonce, base64.
std::string make_nonce() {
    unsigned char raw[18] = {};
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n <= 0) break;  // no entropy source: the nonce is then only unique enough
        got += size_t(n);
    }
    if (got < sizeof raw) {
        uint64_t salt = uint64_t(monotonic_ms()) * 0x9e3779b97f4a7c15ULL;
        for (size_t i = 0; i < sizeof raw; ++i) raw[i] ^= uint8_t(salt >> (8 * (i % 8)));
    }
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (size_t i = 0; i < sizeof raw; i += 3) {
        uint32_t v = uint32_t(raw[i]) << 16 | uint32_t(raw[i + 1]) << 8 | raw[i + 2];
        for (int shift = 18; shift >= 0; shift -= 6) out += alphabet[(v >> shift) & 63];
    }
    return out;
}

}  // namespace

void HttpServer::start_live() {
    event_base* base = daemon_.base();
    streams_ = std::make_unique<LiveStream>(
        base, daemon_.events(),
        [this](uint64_t id, std::string_view bytes) { return stream_write(id, bytes); },
        [this](uint64_t id) {
            const Connection* c = connections_.find(id);
            return c && may_see_details(daemon_.config().metrics.details, c->peer);
        },
        [this] { return daemon_.config().metrics.page_sessions; });
    sample_.reset(event_new(base, -1, EV_PERSIST, on_sample_cb, this));
    event_add(sample_.get(), &kSampleEvery);
    history_.sample(daemon_.stats(), monotonic_ms(), live_wall_ns());
}

void HttpServer::on_sample_cb(evutil_socket_t, short, void* self) {
    auto* server = static_cast<HttpServer*>(self);
    contain("metrics sample", [&] {
        int64_t now = monotonic_ms();
        server->history_.sample(server->daemon_.stats(), now, live_wall_ns());
        server->check_streams(now);
    });
}

bool HttpServer::answer(Connection& c, std::string_view path, bool head, HttpReply& reply) {
    // The one decision for this client: the page and /stats.json show it
    // the operator's details, or not (/events asks at each event).
    const MetricsConfig& config = daemon_.config().metrics;
    bool details = may_see_details(config.details, c.peer);
    bool page_path =
        path == "/" || path == "/stats.json" || path == "/favicon.svg" || path == "/events";
    if (page_path && !config.page) return false;  // 404: [metrics] page = no
    if (path == "/metrics") {
        reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
        reply.body = render_prometheus(daemon_.stats(), daemon_.open_sessions(), SMALLD_VERSION);
    } else if (path == "/") {
        std::string nonce = make_nonce();
        reply.content_type = "text/html; charset=utf-8";
        reply.extra_headers = "Content-Security-Policy: " + live_page_policy(nonce) +
                              "\r\nX-Content-Type-Options: nosniff\r\n"
                              "Referrer-Policy: no-referrer\r\nCache-Control: no-store\r\n";
        reply.body = render_live_page(
            live_snapshot_json(daemon_, history_, details, config.page_sessions), nonce);
    } else if (path == "/stats.json") {
        reply.content_type = "application/json";
        reply.extra_headers = "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";
        reply.body =
            to_json_text(live_snapshot_json(daemon_, history_, details, config.page_sessions)) +
            "\n";
    } else if (path == "/favicon.svg") {
        reply.content_type = "image/svg+xml";
        reply.extra_headers = "Cache-Control: max-age=86400\r\n";
        reply.body = kLivePageIcon;
    } else if (path == "/healthz") {
        // For load balancers: 503 once the daemon stops taking sessions.
        bool serving = std::string_view(daemon_.state()) == "running";
        reply.status = serving ? 200 : 503;
        reply.extra_headers = "Cache-Control: no-store\r\n";
        reply.body = serving ? "ok\n" : "stopping\n";
    } else if (path == "/events") {
        if (!head && !admit_stream(c, reply)) return true;
        reply.content_type = "text/event-stream";
        reply.extra_headers = "Cache-Control: no-store\r\n";
        reply.stream = true;
    } else {
        return false;
    }
    return true;
}

// A source may hold kMaxStreamsPerSource streams. When all kMaxStreams are
// open, a newcomer closes, in this order, the stream whose reader has most
// output waiting for it, one of the source that holds most streams, or the
// oldest: a stream is not a slot to keep forever, and a browser reconnects.
bool HttpServer::admit_stream(const Connection& c, HttpReply& reply) {
    const char* refused = nullptr;
    if (stream_sources_.of(c.source) >= LiveStream::kMaxStreamsPerSource) {
        refused = "too many event streams from this address";
    } else if (streams_->full()) {
        Connection* victim = nullptr;
        size_t victim_waiting = 0;
        for (auto& [id, other] : connections_) {
            if (other->dead() || !other->stream) continue;
            size_t waiting = other->queued();
            int unsent = 0;
            if (ioctl(other->fd(), SIOCOUTQ, &unsent) == 0 && unsent > 0) waiting += size_t(unsent);
            auto rank = [&](const Connection& x, size_t w) {
                return std::make_tuple(w, stream_sources_.of(x.source), -int64_t(x.id()));
            };
            if (!victim || rank(*other, waiting) > rank(*victim, victim_waiting)) {
                victim = other.get();
                victim_waiting = waiting;
            }
        }
        if (!victim) {
            refused = "too many event streams";
        } else {
            ++daemon_.stats().counters.metrics_streams_evicted_total;
            if (stream_log.admit(LogLevel::Notice))
                LOG_NOTICE(
                    "metrics: closed the event stream of %s (%zu bytes waiting) to make "
                    "room for %s",
                    victim->peer.to_string().c_str(), victim_waiting, c.peer.to_string().c_str());
            victim->close("event stream closed to make room for a new one");
        }
    }
    if (!refused) return true;
    ++daemon_.stats().counters.metrics_connections_refused_total;
    if (stream_log.admit(LogLevel::Notice))
        LOG_NOTICE("metrics: refused an event stream to %s: %s", c.peer.to_string().c_str(),
                   refused);
    reply.status = 503;
    reply.extra_headers = "Retry-After: 5\r\n";
    reply.body = std::string(refused) + "\n";
    return false;
}

// A reader that has taken none of its output for DrainWatch::kStallMs is
// gone in all but name: its stream is reset, which frees what the kernel
// holds for it too. What waits is ours (queued) and the kernel's (sent,
// not yet acknowledged: SIOCOUTQ); what it took is what the kernel had and
// no longer has.
void HttpServer::check_streams(int64_t now_ms) {
    std::vector<Connection*> stalled;
    for (auto& [id, c] : connections_) {
        if (c->dead() || !c->stream) continue;
        int unsent = 0;
        if (ioctl(c->fd(), SIOCOUTQ, &unsent) != 0 || unsent < 0) unsent = 0;
        uint64_t taken = c->sent() - uint64_t(unsent);
        if (c->drain.stalled(c->queued() + size_t(unsent), taken, now_ms))
            stalled.push_back(c.get());
    }
    for (Connection* c : stalled) {
        ++daemon_.stats().counters.metrics_streams_stalled_total;
        if (stream_log.admit(LogLevel::Notice))
            LOG_NOTICE("metrics: the event stream of %s took nothing for %llds; closed",
                       c->peer.to_string().c_str(),
                       static_cast<long long>(DrainWatch::kStallMs / 1000));
        linger reset{1, 0};
        setsockopt(c->fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        c->close("event stream reader stopped taking its output");
    }
}

// The stream's headers are queued: from now on it gets events until either
// side closes. No deadline applies any more; its reader is watched for the
// close, and whatever it sends is dropped.
void HttpServer::start_stream(Connection& c, std::string_view last_event_id) {
    // A fixed kernel buffer: autotuned, it would hold megabytes for a reader
    // that does not read before the queue's bound is ever reached.
    int sndbuf = int(LiveStream::kSocketBuffer);
    setsockopt(c.fd(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    c.stream = true;
    c.idle = false;
    c.disarm();
    c.reading(true);
    c.in.clear();
    stream_sources_.add(c.source);
    streams_->add(c.id(), last_event_id);
    if (c.dead()) return;
    if (flush(c) && c.queued() > 0) c.writing(true);
}

bool HttpServer::stream_write(uint64_t id, std::string_view bytes) {
    Connection* found = connections_.find(id);
    if (!found) return false;
    Connection& c = *found;
    if (c.queued() + bytes.size() > LiveStream::kMaxQueued) {
        ++daemon_.stats().counters.metrics_streams_dropped_total;
        if (stream_log.admit(LogLevel::Notice))
            LOG_NOTICE("metrics: event stream of %s fell %zu bytes behind; closed",
                       c.peer.to_string().c_str(), c.queued());
        c.close("event stream reader too slow");
        return false;
    }
    c.append(bytes);
    if (!flush(c)) return false;
    if (c.queued() > 0) c.writing(true);
    return true;
}

}  // namespace smalld
