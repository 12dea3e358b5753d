// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// One control socket client, as the ControlServer's parts share it: the
// accept and dispatch in control_server.cpp, the I/O in control_client_io.cpp.
// The socket, its events, output queue and close path are the stream
// connection's (stream_connection.h).

#include <string>

#include "control_request.h"
#include "control_server.h"
#include "eviction.h"
#include "stream_connection.h"

namespace smalld {

struct ControlServer::Client final : ServedConnection<ControlServer, Client> {
    using ServedConnection::ServedConnection;

    uid_t uid = uid_t(-1);
    pid_t pid = 0;
    bool admin = false;
    LineReader reader;
    std::string input;  // read but not yet framed: held back while the output queue is full
    bool eof = false;   // the peer shut its side: finish the replies, then close
    bool monitor = false;
    enum class Timer { None, PartialLine, Idle, Stall } timer = Timer::None;
    bool line_done = false;   // a line completed since the timer was last set
    bool progressed = false;  // some output left since the timer was last set
    // Since the client owed a request (its accept, or its last line), and
    // how much of it has come: what choose_victim weighs.
    int64_t waiting_since_ms = 0;
    size_t request_bytes = 0;
    uint64_t dropped = 0;  // monitor events lost since the last notice
};

}  // namespace smalld
