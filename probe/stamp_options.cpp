// SPDX-License-Identifier: BSD-2-Clause
#include <getopt.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

#include "option_values.h"
#include "parse.h"
#include "stamp.h"

namespace smallprobe {
namespace {

enum LongOnly {
    kSizes = 256,
    kTos,
    kDscp,
    kSsid,
    kKeyFile,
    kReport,
    kSameClock,
    kNoCounters,
    kPtp,
    kServerPid,
    kMaxLoss,
    kHistogram,
    kSamples,
    kSamplesFormat,
    kTlv,
    kTimestamping,
    kNoFollowUp,
    kNoTimestampInfo,
    kTrain
};

constexpr option kLongOptions[] = {
    {"interval", required_argument, nullptr, 'i'},
    {"rate", required_argument, nullptr, 'R'},
    {"count", required_argument, nullptr, 'n'},
    {"duration", required_argument, nullptr, 'd'},
    {"size", required_argument, nullptr, 's'},
    {"sizes", required_argument, nullptr, kSizes},
    {"tos", required_argument, nullptr, kTos},
    {"dscp", required_argument, nullptr, kDscp},
    {"ssid", required_argument, nullptr, kSsid},
    {"key-file", required_argument, nullptr, kKeyFile},
    {"timeout", required_argument, nullptr, 'w'},
    {"report", required_argument, nullptr, kReport},
    {"same-clock", no_argument, nullptr, kSameClock},
    {"no-counters", no_argument, nullptr, kNoCounters},
    {"ptp", no_argument, nullptr, kPtp},
    {"json", no_argument, nullptr, 'j'},
    {"server-pid", required_argument, nullptr, kServerPid},
    {"max-loss", required_argument, nullptr, kMaxLoss},
    {"unit", required_argument, nullptr, 'u'},
    {"histogram", no_argument, nullptr, kHistogram},
    {"samples", required_argument, nullptr, kSamples},
    {"samples-format", required_argument, nullptr, kSamplesFormat},
    {"tlv", required_argument, nullptr, kTlv},
    {"timestamping", required_argument, nullptr, kTimestamping},
    {"no-follow-up", no_argument, nullptr, kNoFollowUp},
    {"no-timestamp-info", no_argument, nullptr, kNoTimestampInfo},
    {"train", required_argument, nullptr, kTrain},
    {"help", no_argument, nullptr, 'h'},
    {nullptr, 0, nullptr, 0},
};

bool parse_size_list(std::string_view text, std::vector<uint32_t>* out, std::string* error) {
    out->clear();
    while (!text.empty()) {
        size_t comma = text.find(',');
        std::string_view item = text.substr(0, comma);
        auto n = parse_size(item);
        if (!n || *n < 44 || *n > 65507)
            return fail(error,
                        "expected sizes of 44 to 65507 bytes, got \"" + std::string(item) + "\"");
        out->push_back(static_cast<uint32_t>(*n));
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    if (out->empty()) return fail(error, "expected a list of sizes such as 64,512,1400");
    return true;
}

constexpr FlagOption<StampOptions> kFlags[] = {
    {kSameClock, &StampOptions::same_clock, true},
    {kNoCounters, &StampOptions::counters, false},
    {kNoFollowUp, &StampOptions::follow_up, false},
    {kNoTimestampInfo, &StampOptions::timestamp_info, false},
    {kPtp, &StampOptions::ptp, true},
    {kHistogram, &StampOptions::histogram, true},
    {'j', &StampOptions::json, true},
};

bool apply(int letter, const char* value, StampOptions* o, std::string* error) {
    if (set_flag(kFlags, letter, o)) return true;
    const std::string shown = value ? value : "";
    switch (letter) {
        case 'i': {
            auto ns = parse_duration_ns(shown);
            if (!ns)
                return fail(error, "-i: expected an interval such as 10ms, got \"" + shown + "\"");
            o->interval_ns = *ns;
            return true;
        }
        case 'R': {
            auto n = parse_count_in({"-R", 1, 10'000'000, "1..10M packets/s"}, shown, error);
            if (!n) return false;
            o->interval_ns = 1'000'000'000ull / *n;
            if (o->interval_ns == 0) o->interval_ns = 1;
            return true;
        }
        case 'n':
            return parse_count_option(shown, &o->count, error);
        case 'd':
            return parse_duration_option("-d", "a duration", shown, &o->duration_ns, error);
        case 's':
        case kSizes:
            if (!parse_size_list(shown, &o->sizes, error)) {
                *error = (letter == 's' ? "-s: " : "--sizes: ") + *error;
                return false;
            }
            o->sizes_given = true;
            return true;
        case kTos:
            return store(parse_count_in({"--tos", 0, 255, "0..255"}, shown, error), &o->tos);
        case kDscp: {
            auto n = parse_count_in({"--dscp", 0, 63, "0..63"}, shown, error);
            if (!n) return false;
            o->tos = int(*n) << 2;
            return true;
        }
        case kSsid:
            return store(parse_count_in({"--ssid", 1, 65535, "1..65535"}, shown, error), &o->ssid);
        case kKeyFile: {
            std::ifstream in(shown, std::ios::binary);
            if (!in) return fail(error, "--key-file: cannot read \"" + shown + "\"");
            std::stringstream s;
            s << in.rdbuf();
            o->key = s.str();
            if (!o->key.empty() && o->key.back() == '\n') o->key.pop_back();
            if (o->key.empty()) return fail(error, "--key-file: \"" + shown + "\" is empty");
            o->key_file = shown;
            return true;
        }
        case 'w':
            return parse_duration_option("-w", "a timeout", shown, &o->timeout_ns, error);
        case kReport: {
            if (shown == "0") {
                o->report_ns = 0;
                return true;
            }
            auto ns = parse_duration_ns(shown);
            if (!ns) return fail(error, "--report: expected a period such as 1s, or 0");
            o->report_ns = *ns;
            return true;
        }
        case kTlv:
            if (!parse_tlv_requests(shown, &o->tlvs, error)) {
                *error = "--tlv: " + *error;
                return false;
            }
            return true;
        case kTimestamping:
            if (!parse_timestamping(shown, &o->timestamping))
                return fail(error,
                            "--timestamping: expected software, hardware, auto or user, got \"" +
                                shown + "\"");
            return true;
        case 'u':
            return parse_unit_option("-u", shown, &o->unit, error);
        case kSamples:
            if (shown.empty()) return fail(error, "--samples: expected a FILE, or - for stdout");
            o->samples = shown;
            return true;
        case kSamplesFormat:
            if (shown != "csv" && shown != "jsonl")
                return fail(error,
                            "--samples-format: expected csv or jsonl, got \"" + shown + "\"");
            o->samples_format = shown;
            return true;
        case kTrain:
            return store(parse_count_in({"--train", 2, 1000, "2..1000 packets"}, shown, error),
                         &o->train);
        case kMaxLoss:
            return parse_max_loss_option(shown, &o->max_loss_pct, error);
        case kServerPid:
            return parse_server_pid_option(shown, &o->server_pid, error);
        case '4':
            o->family = AF_INET;
            return true;
        case '6':
            o->family = AF_INET6;
            return true;
        default:
            return fail(error, "unknown option");
    }
}

}  // namespace

StampParse parse_stamp_options(int argc, char** argv, StampOptions* o, std::string* error) {
    optind = 1;
    opterr = 0;
    auto apply_one = [&](int letter, const char* value, std::string* why) {
        return apply(letter, value, o, why);
    };
    switch (read_options(argc, argv, "+i:R:n:d:s:w:u:j46h", kLongOptions, error, apply_one)) {
        case OptionsRead::Done:
            break;
        case OptionsRead::Help:
            return StampParse::Help;
        case OptionsRead::Version:  // stamp has no -V: getopt finds it unknown
        case OptionsRead::Error:
            return StampParse::Error;
    }
    if (optind + 1 != argc) {
        *error = "expected one HOST[:PORT]";
        return StampParse::Error;
    }
    std::string_view target = argv[optind];
    auto hp = split_host_port(target);
    if (hp) {
        o->host = hp->host;
        o->port = hp->port;
    } else {
        // No port: the standard 862. "[::1]" or a bare name/address.
        std::string host(target);
        if (host.size() > 2 && host.front() == '[' && host.back() == ']')
            host = host.substr(1, host.size() - 2);
        o->host = host;
    }
    if (o->host.empty()) {
        *error = "expected HOST[:PORT], got \"" + std::string(target) + "\"";
        return StampParse::Error;
    }
    // Without -s: the base packet (112 bytes with --key-file, the
    // authenticated minimum; else 44), the 16-byte Direct Measurement TLV
    // unless --no-counters, the 20-byte Follow-Up Telemetry TLV unless
    // --no-follow-up or --timestamping user, and the 8-byte Timestamp
    // Information TLV unless --no-timestamp-info. A size asked for
    // explicitly must be at least the base; a packet too short for a TLV
    // goes without it. --tlv: its TLVs follow, and an explicit size must
    // hold them.
    if (o->timestamping == Timestamping::None) o->follow_up = false;
    size_t needed = (o->key.empty() ? 44 : 112) + (o->counters ? 16 : 0) + (o->follow_up ? 20 : 0) +
                    (o->timestamp_info ? 8 : 0) + tlv_requests_size(o->tlvs);
    if (!o->sizes_given) o->sizes = {uint32_t(needed)};
    if (!o->tlvs.empty())
        for (uint32_t size : o->sizes)
            if (size < needed) {
                *error = "--tlv: the TLVs need packets of " + std::to_string(needed) +
                         " bytes, not " + std::to_string(size);
                return StampParse::Error;
            }
    for (const TlvRequest& r : o->tlvs)
        if (r.type == 8 && o->key.empty()) {
            *error = "--tlv hmac: needs --key-file (the HMAC TLV's key)";
            return StampParse::Error;
        }
    if (!o->key.empty())
        for (uint32_t size : o->sizes)
            if (size < 112) {
                *error = "--key-file: authenticated packets are at least 112 bytes, not " +
                         std::to_string(size);
                return StampParse::Error;
            }
    // Trains are of the largest size; without -s, Sender::open fills the MTU.
    if (o->train && o->sizes_given)
        o->sizes = {*std::max_element(o->sizes.begin(), o->sizes.end())};
    if (o->count == 0 && o->duration_ns == 0) o->count = 100;
    return StampParse::Run;
}

void print_stamp_usage(FILE* out) {
    std::fputs(
        "usage: smallprobe stamp [options] HOST[:PORT]\n"
        "  an RFC 8762 STAMP Session-Sender (port 862 by default)\n"
        "  -i, --interval D   time between packets (10ms), default 100ms\n"
        "  -R, --rate N       packets per second (instead of -i)\n"
        "  -n, --count N      packets to send, default 100\n"
        "  -d, --duration D   send for this long instead\n"
        "  -s, --size N       STAMP packet size (UDP payload), 44..65507, default 88\n"
        "  --sizes LIST       sizes in turn (64,512,1400): fits the delay decomposition\n"
        "  --train N          each -i, a train of N packets (2..1000) back to back, of the\n"
        "                     largest -s (else filling the MTU, at most 1500): capacity per\n"
        "                     direction; -n counts packets, rounded up to whole trains\n"
        "  --tos N, --dscp N  IP TOS / IPv6 traffic class, or the DSCP\n"
        "  -4, -6             IPv4 or IPv6 only\n"
        "  --ssid N           Session-Sender Identifier (RFC 8972), default 1\n"
        "  --key-file FILE    authenticated mode (HMAC-SHA-256): 156-byte packets unless -s\n"
        "  --no-counters      no Direct Measurement TLV (44/112 bytes): loss is not split\n"
        "                     by the reflector's counters\n"
        "  --tlv LIST         more RFC 8972 TLVs: padding=N, location, cos=DSCP[:ECN],\n"
        "                     access-report, timestamp-info, follow-up, hmac, type=N;\n"
        "                     the last reply's TLVs, DSCP and TTL are printed\n"
        "  --timestamping M   T1 from the kernel's transmit time: software, hardware,\n"
        "                     auto (default: the NIC's where it gives one) or user\n"
        "                     (the clock read before send)\n"
        "  --no-follow-up     no Follow-Up Telemetry TLV: T3 stays the reflector's\n"
        "                     clock read before its send\n"
        "  --no-timestamp-info  no Timestamp Information TLV\n"
        "  -w, --timeout D    wait for late replies, default 2s; unanswered then: lost\n"
        "  --max-loss PCT     exit 1 when more than PCT% of the packets are lost\n"
        "  --report D         a line every D (default 1s); 0: summary only\n"
        "  --same-clock       both ends read one clock (same host): trust T2 - T1\n"
        "  --ptp              PTP timestamps instead of NTP\n"
        "  -u, --unit U       delays in us, ms or s (default: scaled to the round trip)\n"
        "  --histogram        a histogram of the round trips after the summary\n"
        "  --samples FILE     every packet's T1-T4 to FILE as CSV (- : stdout, the rest\n"
        "                     to stderr); JSON lines if FILE ends in .jsonl\n"
        "  --samples-format F csv or jsonl, whatever FILE's name\n"
        "  -j, --json         one JSON object (delays in microseconds)\n"
        "  --server-pid PID   also report the server's CPU time per reply\n",
        out);
}

}  // namespace smallprobe
