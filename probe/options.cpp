// SPDX-License-Identifier: BSD-2-Clause
#include "options.h"

#include "option_values.h"
#include "pattern.h"

#include <getopt.h>

#include <cstdio>
#include <cstring>
#include <string_view>

namespace smallprobe {
namespace {

constexpr uint64_t kMaxSize = StreamSource::kMaxWindow;

struct ModeName {
    const char* name;
    Mode mode;
    ReplyCheck check;
};

constexpr ModeName kModes[] = {
    {"echo", Mode::Echo, ReplyCheck::AnyBytes},
    {"line", Mode::Line, ReplyCheck::AnyBytes},
    {"discard", Mode::Discard, ReplyCheck::AnyBytes},
    {"chargen", Mode::Chargen, ReplyCheck::AnyBytes},
    {"connect", Mode::Connect, ReplyCheck::AnyBytes},
    {"time", Mode::Connect, ReplyCheck::Time},
    {"daytime", Mode::Connect, ReplyCheck::Daytime},
    {"qotd", Mode::Connect, ReplyCheck::Qotd},
    {"status", Mode::Connect, ReplyCheck::Status},
    {"churn", Mode::Connect, ReplyCheck::Echo},
    {"idle", Mode::Idle, ReplyCheck::AnyBytes},
    {"slowread", Mode::SlowRead, ReplyCheck::AnyBytes},
};

enum LongOnly { kStrict = 256, kServerPid, kRcvbuf, kMaxLoss, kUnit };

constexpr option kLongOptions[] = {
    {"udp", no_argument, nullptr, 'u'},
    {"connections", required_argument, nullptr, 'c'},
    {"size", required_argument, nullptr, 's'},
    {"pipeline", required_argument, nullptr, 'P'},
    {"duration", required_argument, nullptr, 'd'},
    {"count", required_argument, nullptr, 'n'},
    {"rate", required_argument, nullptr, 'R'},
    {"template", required_argument, nullptr, 't'},
    {"timeout", required_argument, nullptr, 'w'},
    {"json", no_argument, nullptr, 'j'},
    {"max-loss", required_argument, nullptr, kMaxLoss},
    {"unit", required_argument, nullptr, kUnit},
    {"server-pid", required_argument, nullptr, kServerPid},
    {"rcvbuf", required_argument, nullptr, kRcvbuf},
    {"strict", no_argument, nullptr, kStrict},
    {"help", no_argument, nullptr, 'h'},
    {"version", no_argument, nullptr, 'V'},
    {nullptr, 0, nullptr, 0},
};

constexpr FlagOption<Options> kFlags[] = {
    {'u', &Options::udp, true},
    {'j', &Options::json, true},
    {kStrict, &Options::strict_chargen, true},
};

bool apply_option(int letter, const char* value, Options* o, std::string* error) {
    if (set_flag(kFlags, letter, o)) return true;
    const std::string shown = value ? value : "";
    switch (letter) {
        case 'c':
            return store(parse_count_in({"-c", 1, 1000000, "1..1000000 connections"}, shown, error),
                         &o->connections);
        case 's':
            return store(
                parse_size_in({"-s", 1, kMaxSize, "a size of 1 byte to 256KiB"}, shown, error),
                &o->size);
        case 'P':
            return store(
                parse_count_in({"-P", 1, 4096, "a pipeline depth of 1..4096"}, shown, error),
                &o->depth);
        case 'd':
            return parse_duration_option("-d", "a duration", shown, &o->duration_ns, error);
        case 'w':
            return parse_duration_option("-w", "a timeout", shown, &o->timeout_ns, error);
        case 'n':
            return parse_count_option(shown, &o->count, error);
        case 'R':
            return store(parse_count_in({"-R", 1, 100000000, "1..100M messages/s"}, shown, error),
                         &o->rate);
        case 't': {
            std::string why;
            auto t = parse_template(shown, &why);
            if (!t) return fail(error, "-t: " + why);
            o->request = *t;
            return true;
        }
        case kServerPid:
            return parse_server_pid_option(shown, &o->server_pid, error);
        case kUnit:
            return parse_unit_option("--unit", shown, &o->unit, error);
        case kMaxLoss:
            return parse_max_loss_option(shown, &o->max_loss_pct, error);
        case kRcvbuf:
            return store(
                parse_size_in({"--rcvbuf", 1024, 64u << 20, "a size of 1k to 64M"}, shown, error),
                &o->rcvbuf);
        default:
            return fail(error, "unknown option (see smallprobe --help)");
    }
}

// What the end of a run of options means for the whole parse: Run to go on.
ParseOutcome outcome_of(OptionsRead read) {
    switch (read) {
        case OptionsRead::Help:
            return ParseOutcome::Help;
        case OptionsRead::Version:
            return ParseOutcome::Version;
        case OptionsRead::Error:
            return ParseOutcome::Error;
        case OptionsRead::Done:
            break;
    }
    return ParseOutcome::Run;
}

// Combinations that parse but make no sense are usage errors, not surprises.
bool validate(Options* o, std::string* error) {
    if (o->duration_ns && o->count) return fail(error, "-d and -n are exclusive");
    if (!o->duration_ns && !o->count) o->duration_ns = 5ull * 1000000000ull;
    if (o->count && (o->mode == Mode::Idle || o->mode == Mode::SlowRead ||
                     o->mode == Mode::Discard || o->mode == Mode::Chargen))
        return fail(error, "-n does not apply to " + o->mode_name + " mode; use -d");
    if (o->udp && o->mode != Mode::Echo && o->mode != Mode::Discard && o->mode != Mode::Chargen)
        return fail(error, "-u applies to echo, discard and chargen only");
    if (o->udp && o->mode == Mode::Echo && o->size < 8)
        return fail(
            error, "UDP echo needs -s 8 or more (each datagram carries an 8-byte sequence number)");
    if (o->udp && o->size > 65507)
        return fail(error, "-s: a UDP datagram holds at most 65507 bytes");
    if (o->rate && o->mode != Mode::Echo && o->mode != Mode::Line)
        return fail(error, "-R (open loop) applies to echo and line modes");
    if (o->mode == Mode::Line && o->request.empty())
        return fail(error, "line mode needs a request template, e.g. -t 'PING\\r\\n'");
    if (o->mode != Mode::Line && !o->request.empty())
        return fail(error, "-t applies to line mode only");
    if (o->max_loss_pct >= 0 && !(o->udp && o->mode == Mode::Echo))
        return fail(error, "--max-loss applies to UDP echo (-u) and stamp");
    if (o->rcvbuf && o->mode != Mode::Idle && o->mode != Mode::SlowRead)
        return fail(error, "--rcvbuf applies to idle and slowread modes");
    return true;
}

}  // namespace

ParseOutcome parse_options(int argc, char** argv, Options* options, std::string* error) {
    Options o;
    optind = 1;
    opterr = 0;
    // The options up to the next operand; Run to go on.
    auto read = [&] {
        auto apply = [&](int letter, const char* value, std::string* why) {
            return apply_option(letter, value, &o, why);
        };
        return outcome_of(
            read_options(argc, argv, "+uc:s:P:d:n:R:t:w:jhV", kLongOptions, error, apply));
    };
    if (ParseOutcome early = read(); early != ParseOutcome::Run) return early;
    // Options may also follow the mode (smallprobe echo -c 50 HOST:PORT), so
    // the mode and target are picked out of what getopt leaves, in order.
    if (optind >= argc) {
        *error = "missing MODE and HOST:PORT";
        return ParseOutcome::Error;
    }
    const std::string_view mode_arg = argv[optind++];
    bool known = false;
    for (const auto& m : kModes) {
        if (mode_arg == m.name) {
            o.mode = m.mode;
            o.check = m.check;
            o.mode_name = m.name;
            known = true;
        }
    }
    if (!known && mode_arg == "stamp") {
        *error = "stamp takes its options after the mode: smallprobe stamp [options] HOST[:PORT]";
        return ParseOutcome::Error;
    }
    if (!known) {
        *error = "unknown mode \"" + std::string(mode_arg) + "\"";
        return ParseOutcome::Error;
    }
    while (optind < argc) {
        if (argv[optind][0] == '-' && argv[optind][1] != '\0') {
            if (ParseOutcome early = read(); early != ParseOutcome::Run) return early;
            continue;
        }
        if (!o.target.empty()) {
            *error = "unexpected argument \"" + std::string(argv[optind]) + "\"";
            return ParseOutcome::Error;
        }
        o.target = argv[optind++];
    }
    if (o.target.empty()) {
        *error = "missing HOST:PORT";
        return ParseOutcome::Error;
    }
    auto endpoint = split_host_port(o.target);
    if (!endpoint) {
        *error = "bad target \"" + o.target + "\": expected HOST:PORT or [V6]:PORT";
        return ParseOutcome::Error;
    }
    o.endpoint = *endpoint;
    if (!validate(&o, error)) return ParseOutcome::Error;
    *options = o;
    return ParseOutcome::Run;
}

void print_usage(FILE* out) {
    std::fputs(
        "usage: smallprobe MODE [options] HOST:PORT\n"
        "modes:\n"
        "  echo       closed-loop (or -R open-loop) echo, every byte verified (TCP, -u UDP)\n"
        "  line       send the -t template, expect replies ending in \\n (memcached, redis)\n"
        "  discard    bulk send, bytes/s (TCP, -u UDP)\n"
        "  chargen    bulk receive, RFC 864 pattern verified (TCP, -u UDP)\n"
        "  time daytime qotd status connect\n"
        "             one connection per query, read to EOF, connections/s and latency\n"
        "  churn      one connection per echo: connect, send -s bytes, read them back, close\n"
        "  idle       open and hold -c connections for the duration\n"
        "  slowread   like idle, but fill each echo connection and never read\n"
        "  stamp      RFC 8762 STAMP sender: delays, loss per direction, jitter, hops\n"
        "             (smallprobe stamp --help)\n"
        "options:\n"
        "  -c, --connections N    connections (UDP: flows), default 1\n"
        "  -s, --size SIZE        message size (64, 16k, 1M), default 64\n"
        "  -P, --pipeline DEPTH   messages in flight per connection, default 1\n"
        "  -d, --duration TIME    run time (10s, 500ms), default 5s\n"
        "  -n, --count COUNT      stop after COUNT messages or queries instead\n"
        "  -R, --rate RATE        open loop: RATE messages/s in total on a fixed schedule\n"
        "  -t, --template TEXT    line mode request, with \\r \\n \\t \\\\ \\xHH escapes\n"
        "  -w, --timeout TIME     reply timeout, default 2s; UDP: the wait for late replies\n"
        "                         after the run, and a tenth of it the closed loop's resend\n"
        "      --max-loss PCT     UDP echo: exit 1 when more than PCT% of datagrams are lost\n"
        "  -u, --udp              use UDP\n"
        "      --unit UNIT        latencies in us, ms or s (default: each scaled)\n"
        "  -j, --json             print one JSON object instead of the summary\n"
        "      --server-pid PID   also report the server's CPU time per request and RSS\n"
        "      --rcvbuf SIZE      idle, slowread: each connection's receive buffer (SO_RCVBUF)\n"
        "      --strict           chargen: the stream must start with line 0\n"
        "  -h, --help             this help\n"
        "  -V, --version          print the version\n"
        "-c counts connections as in ab, wrk and hey; ping's -c (count) is -n here\n"
        "exit status: 0 ok, 1 errors seen (or loss above --max-loss), 2 usage,\n"
        "3 could not connect at all\n",
        out);
}

}  // namespace smallprobe
