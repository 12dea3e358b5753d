// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// One connection of the HTTP endpoint: http_server.cpp serves it,
// http_routes.cpp may turn it into an event stream. The socket, its events,
// output queue and close path are the stream connection's
// (stream_connection.h).

#include <string>

#include "address.h"
#include "eviction.h"
#include "http_server.h"
#include "stream_connection.h"

namespace smalld {

struct HttpServer::Connection final : ServedConnection<HttpServer, Connection> {
    using ServedConnection::ServedConnection;

    SockAddr peer;
    SourceKey source;
    std::string in;
    bool idle = false;       // between requests: evictable, on the idle timer
    bool keep_alive = true;  // of the reply being sent
    bool lingering = false;  // reply sent, our side shut: draining until the peer closes
    bool stream = false;     // an event stream: open until either side closes
    unsigned requests = 0;
    // Since the connection owed a request: its accept, or its last reply.
    int64_t waiting_since_ms = 0;
    DrainWatch drain;  // of an event stream
};

}  // namespace smalld
