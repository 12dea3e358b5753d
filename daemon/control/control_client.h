// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// One control socket client, as the ControlServer's parts share it: the
// accept and dispatch in control_server.cpp, the I/O in control_client_io.cpp.

#include <string>

#include "control_request.h"
#include "control_server.h"
#include "event_handle.h"
#include "eviction.h"

namespace smalld {

struct ControlServer::Client {
    ControlServer* server = nullptr;
    uint64_t id = 0;
    Fd fd;
    uid_t uid = uid_t(-1);
    pid_t pid = 0;
    bool admin = false;
    LineReader reader;
    std::string input;  // read but not yet framed: held back while `out` is full
    std::string out;
    size_t out_pos = 0;
    bool eof = false;   // the peer shut its side: finish the replies, then close
    bool dead = false;  // closed; freed by the reaper
    bool monitor = false;
    enum class Timer { None, PartialLine, Idle, Stall } timer = Timer::None;
    bool line_done = false;   // a line completed since the timer was last set
    bool progressed = false;  // some output left since the timer was last set
    // Since the client owed a request (its accept, or its last line), and
    // how much of it has come: what choose_victim weighs.
    int64_t waiting_since_ms = 0;
    size_t request_bytes = 0;
    uint64_t dropped = 0;  // monitor events lost since the last notice
    EventHandle read_ev;
    EventHandle write_ev;
    EventHandle timeout_ev;

    size_t queued() const { return out.size() - out_pos; }
};

}  // namespace smalld
