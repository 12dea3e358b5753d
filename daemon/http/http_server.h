// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The [metrics] listener: GET (and HEAD) /metrics in Prometheus text format
// 0.0.4, rendered from the same statistics as everything else, and the live
// page (/, /stats.json, the /events stream, /healthz; http_routes.cpp),
// over HTTP/1.1 with keep-alive.
//
// It owns its accept loop rather than use libevent's evhttp, whose 2.1 API
// has no connection cap, no per-source cap, and only a per-read timeout that
// a client restarts with every byte. Here every connection counts against a
// cap within the daemon's descriptor budget and against its source's cap, and
// a request must arrive, and its reply leave, within one deadline. At a cap,
// a newcomer closes the connection that has sent least of its request for
// longest (eviction.h), so that a slow-request flood from any number of
// sources keeps the endpoint busy but never unavailable.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "acceptor.h"
#include "address.h"
#include "event_handle.h"
#include "eviction.h"
#include "live_history.h"
#include "stream_connection.h"

namespace smalld {

class Daemon;
class LiveStream;
struct HttpReply;
struct StartError;

class HttpServer {
  public:
    explicit HttpServer(Daemon& daemon);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds config().metrics.listen; logs the address with the actual port.
    std::optional<StartError> start();
    const SockAddr& actual() const { return actual_; }
    size_t connections() const;

    // Open connections. Beyond, a connection waiting for (the rest of) a
    // request makes room (choose_victim); when every one is being answered
    // or is an event stream, the newcomer gets 503 and is closed.
    static constexpr size_t kMaxConnections = 64;
    // Open connections per source address (IPv6: per /64): 16 sources are
    // needed to fill the endpoint. Beyond, the newcomer makes room among its
    // own source's connections in the same way.
    static constexpr size_t kMaxPerSource = 4;
    // A connection is accepted once its first bytes have come, or after this
    // long without any (the kernel's TCP_DEFER_ACCEPT; it rounds up to its
    // SYN-ACK retransmissions: 1 s is 1 s). Until then it holds no slot and
    // cannot be evicted.
    static constexpr int kDeferAcceptS = 1;
    // From a request's first byte (or the accept) to the last byte of its reply.
    static constexpr int kRequestDeadlineMs = 10'000;
    // A keep-alive connection waiting for its next request.
    static constexpr int kIdleTimeoutMs = 10'000;
    static constexpr size_t kMaxHead = 8192;  // request line and headers
    static constexpr unsigned kMaxRequestsPerConnection = 1000;
    // Every descriptor the endpoint may hold: for the daemon's fd budget. An
    // event stream is one of the connections (LiveStream::kMaxStreams at most).
    static constexpr size_t kMaxFds = kMaxConnections + 1;

  private:
    struct Connection;
    template <class, class>
    friend class ServedConnection;

    static void on_sample_cb(evutil_socket_t, short, void* self);

    // http_routes.cpp: the replies, and the live page's parts.
    void start_live();
    // `c.peer` decides what the reply may show (privacy.h).
    bool answer(Connection& c, std::string_view path, bool head, HttpReply& reply);
    // Room for a new event stream from `source`; false with the refusal in
    // `reply` when there is none.
    bool admit_stream(const Connection& c, HttpReply& reply);
    // Closes the event streams whose readers stopped taking their output.
    void check_streams(int64_t now_ms);
    // Queues bytes on event stream `id`; closes it when its reader is too slow.
    bool stream_write(uint64_t id, std::string_view bytes);
    void start_stream(Connection& c, std::string_view last_event_id);

    void admit(int fd, const SockAddr& peer);
    void refuse(int fd, const SockAddr& peer, const char* why, int status = 503);
    // Closes the victim among the connections waiting for a request (of
    // `only`'s source when given); false when there is none.
    bool evict(const SourceKey* only);
    void read_ready(Connection& c);
    // Answers the requests `c` holds, one at a time, while its replies leave.
    void process(Connection& c);
    void write_ready(Connection& c);
    bool flush(Connection& c);
    void replied(Connection& c);
    void timed_out(Connection& c);
    // What a connection's close (StreamConnection::close) undoes: logged
    // with the reason.
    void closed(Connection& c, const char* reason);

    Daemon& daemon_;
    SockAddr actual_;
    Fd fd_;
    Acceptor acceptor_;
    StreamTable<Connection> connections_;
    SourceCounts<SourceKey, SourceKeyHash> per_source_;
    SourceCounts<SourceKey, SourceKeyHash> stream_sources_;
    LiveHistory history_;
    EventHandle sample_;  // once a second, for the live page's rates
    std::unique_ptr<LiveStream> streams_;
};

}  // namespace smalld
