// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The live page's event stream, /events: server-sent events
// (text/event-stream), one message per event of the daemon's event bus
// (session open/close unless [metrics] page_sessions = no, refusals,
// reloads): "id: N", "event: KIND" (the event's "event" field) and
// "data: {json}"; and a comment line every
// kKeepAliveMs so that proxies and browsers keep an idle stream open.
//
// Resumable: the last kHistory events are kept, and a reader that comes back
// with Last-Event-ID gets the ones it missed first. Ids count up by one per
// event from a base made of the start time in microseconds, so an id of an
// earlier run is never taken for one of this run. The events are recorded
// while a stream is open and for kResumeMs after the last one closed (so a
// reconnecting browser finds what it missed); beyond that nobody listens and
// no event is built. When what a reader missed is not all here, it gets a
// "lost" message first: {"event": "lost", "count": N}, N null when unknown
// (the history's start was not recorded, or the id is not this run's).
//
// The streams are connections of the metrics endpoint, which owns their
// sockets and queues: at most kMaxStreams of them at once, kMaxStreamsPerSource
// of one source, and a newcomer at the cap closes one (http_routes.cpp).
// One whose reader falls kMaxQueued bytes behind is closed and counted
// (metrics.streams_dropped_total) rather than let the daemon's memory grow,
// and so is one whose reader takes none of its output for
// DrainWatch::kStallMs (metrics.streams_stalled_total), however little it
// is; the browser's EventSource reconnects by itself.

#include <cstdint>
#include <deque>
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "event_bus.h"
#include "event_handle.h"

namespace smalld {

class LiveStream {
  public:
    // Queues bytes on stream `id`; false when the stream is gone (it was too
    // slow, or its connection failed, and has been closed).
    using Write = std::function<bool(uint64_t id, std::string_view bytes)>;
    // Whether stream `id` gets the operator's details (privacy.h), asked
    // at each event, so that a reload's new rule applies to open streams.
    using Details = std::function<bool(uint64_t id)>;
    // Whether session_open and session_close events are sent ([metrics]
    // page_sessions), asked at each event.
    using Sessions = std::function<bool()>;

    LiveStream(event_base* base, EventBus& bus, Write write, Details details, Sessions sessions);
    LiveStream(const LiveStream&) = delete;
    LiveStream& operator=(const LiveStream&) = delete;

    bool full() const { return streams_.size() >= kMaxStreams; }
    size_t size() const { return streams_.size(); }
    // A stream whose reply headers have been queued; it gets the events
    // after `last_event_id` (its Last-Event-ID header; empty: none) that
    // history holds, then every event from now on.
    void add(uint64_t id, std::string_view last_event_id = {});
    void remove(uint64_t id);

    static constexpr size_t kMaxStreams = 16;
    static constexpr size_t kMaxStreamsPerSource = 2;  // two tabs of the page
    static constexpr size_t kMaxQueued = 256 << 10;
    // The stream socket's send buffer (SO_SNDBUF; the kernel doubles it).
    static constexpr size_t kSocketBuffer = 64 << 10;
    static constexpr int kKeepAliveMs = 15'000;
    // What a stream gets first: the browser's reconnection delay, and a comment.
    static constexpr std::string_view kPreamble = "retry: 3000\n: smalld events\n\n";
    static constexpr std::string_view kKeepAlive = ": keep-alive\n\n";
    static constexpr size_t kHistory = 256;   // events kept for readers that resume
    static constexpr int kResumeMs = 60'000;  // recording after the last stream closed
    // One event as a message: "id: N\nevent: KIND\ndata: {...}\n\n";
    // without `details`, as public_event() has it.
    static std::string message(uint64_t id, const nlohmann::json& event, bool details);

  private:
    struct Kept {
        uint64_t id;
        nlohmann::json event;
        std::string forms[2];  // the message without, with the details; made when asked
    };
    static void on_keep_alive_cb(evutil_socket_t, short, void* self);
    static void on_linger_cb(evutil_socket_t, short, void* self);
    void send_all(std::string_view bytes);
    void send_event(const BusEvent& event);
    void replay(uint64_t stream, std::string_view last_event_id);
    const std::string& form(Kept& kept, bool details);

    EventBus& bus_;
    Write write_;
    Details details_;
    Sessions sessions_;
    std::set<uint64_t> streams_;
    EventBus::Subscription subscription_;  // while there are streams, and kResumeMs after
    EventHandle keep_alive_;
    EventHandle linger_;        // ends the subscription kResumeMs after the last stream
    std::deque<Kept> history_;  // the last kHistory events, oldest first
    uint64_t next_id_;          // the next event's id
    uint64_t recorded_from_;    // every event from this id on was recorded
};

}  // namespace smalld
