// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// What the user asked for, after parsing and validation.

#include <cstdint>
#include <string>

#include "parse.h"
#include "stamp_format.h"

namespace smallprobe {

enum class Mode { Echo, Line, Discard, Chargen, Connect, Idle, SlowRead };

// What a connect-mode reply must look like.
// Echo: churn mode, the -s bytes sent after connecting come back, then the
// client closes.
enum class ReplyCheck { AnyBytes, Time, Daytime, Qotd, Status, Echo };

struct Options {
    Mode mode = Mode::Echo;
    std::string mode_name = "echo";
    ReplyCheck check = ReplyCheck::AnyBytes;
    bool udp = false;
    uint32_t connections = 1;
    uint64_t size = 64;
    uint32_t depth = 1;
    uint64_t duration_ns = 0;  // 0: run by count
    uint64_t count = 0;        // 0: run by duration
    uint64_t rate = 0;         // open loop when nonzero (messages/s, all connections)
    std::string request;       // line mode template, escapes expanded
    uint64_t timeout_ns = 2000000000ull;
    double max_loss_pct = -1;  // --max-loss: exit 1 above this; < 0: loss is no error
    bool json = false;
    int server_pid = 0;
    uint32_t rcvbuf = 0;  // SO_RCVBUF of idle and slowread connections; 0: the kernel's
    bool strict_chargen = false;
    Unit unit = Unit::Auto;  // --unit: the latencies' unit; Auto scales each
    std::string target;
    HostPort endpoint;
};

enum class ParseOutcome { Run, Help, Version, Error };

// Parses argv into *options. On Error, *error says what was wrong.
ParseOutcome parse_options(int argc, char** argv, Options* options, std::string* error);

void print_usage(FILE* out);

}  // namespace smallprobe
