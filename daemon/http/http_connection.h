// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// One connection of the HTTP endpoint: http_server.cpp serves it,
// http_routes.cpp may turn it into an event stream.

#include <string>

#include "address.h"
#include "event_handle.h"
#include "eviction.h"
#include "http_server.h"

namespace smalld {

struct MetricsServer::Connection {
    MetricsServer* server = nullptr;
    uint64_t id = 0;
    Fd fd;
    SockAddr peer;
    SourceKey source;
    std::string in;
    std::string out;
    size_t out_pos = 0;
    bool idle = false;       // between requests: evictable, on the idle timer
    bool keep_alive = true;  // of the reply being sent
    bool lingering = false;  // reply sent, our side shut: draining until the peer closes
    bool stream = false;     // an event stream: open until either side closes
    bool dead = false;       // closed; freed by the reaper
    unsigned requests = 0;
    // Since the connection owed a request: its accept, or its last reply.
    int64_t waiting_since_ms = 0;
    uint64_t sent = 0;  // bytes handed to the kernel
    DrainWatch drain;   // of an event stream
    EventHandle read_ev;
    EventHandle write_ev;
    EventHandle timer_ev;

    size_t queued() const { return out.size() - out_pos; }
};

}  // namespace smalld
