// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// smallprobe stamp: an RFC 8762 Session-Sender. It sends STAMP test packets
// at a fixed interval, matches the reflected ones, and splits the round trip
// into the reflector's processing (T3 - T2), the network round trip, the
// forward (T2 - T1) and backward (T4 - T3) delays, loss per direction,
// jitter, reordering and the hop count.

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "capacity.h"
#include "stamp_format.h"
#include "stamp_timestamping.h"
#include "stamp_tlv_options.h"

namespace smallprobe {

struct StampOptions {
    std::string host;
    std::string port = "862";
    int family = 0;                      // AF_INET / AF_INET6 / 0 = either
    uint64_t interval_ns = 100'000'000;  // between two packets
    uint64_t count = 0;                  // 0: by duration
    uint64_t duration_ns = 0;            // 0: by count (default 100 packets)
    std::vector<uint32_t> sizes = {44};  // UDP payload bytes, in turn
    uint32_t train = 0;                  // --train: packets per train; 0 = none
    bool sizes_given = false;            // -s/--sizes: else --key-file means 112
    int tos = -1;
    uint16_t ssid = 1;
    std::string key_file;  // authenticated mode
    std::string key;
    uint64_t timeout_ns = 2'000'000'000;  // wait for the last replies
    uint64_t report_ns = 1'000'000'000;   // per-interval lines; 0 = none
    bool same_clock = false;              // both ends read the same clock
    bool counters = true;                 // send the Direct Measurement TLV
    std::vector<TlvRequest> tlvs;         // --tlv: more RFC 8972 TLVs, after it
    // --timestamping: T1 from the kernel's (or the NIC's) transmit time, and
    // the Follow-Up Telemetry TLV for T3; User: the clock read before send.
    Timestamping timestamping = Timestamping::Auto;
    bool follow_up = true;       // send the Follow-Up Telemetry TLV (not with User)
    bool timestamp_info = true;  // send the Timestamp Information TLV
    bool ptp = false;
    bool json = false;
    int server_pid = 0;          // also report the server's CPU time per packet
    double max_loss_pct = -1;    // --max-loss: exit 1 above this; < 0: none
    Unit unit = Unit::Auto;      // -u/--unit: the delays' unit; Auto scales
    bool histogram = false;      // --histogram: the RTT histogram after the summary
    std::string samples;         // --samples FILE: every packet's T1-T4; "-": stdout
    std::string samples_format;  // --samples-format csv|jsonl; "": by FILE's name
};

enum class StampParse { Run, Help, Error };
StampParse parse_stamp_options(int argc, char** argv, StampOptions* o, std::string* error);
void print_stamp_usage(FILE* out);

// One test packet and what came back for it.
struct Probe {
    uint32_t seq = 0;  // the sender's sequence number
    uint32_t size = 0;
    int64_t t1 = 0;  // ns since the epoch: sender's send time
    int64_t t2 = 0, t3 = 0, t4 = 0;
    // The clock reads t1 and t3 replace when the kernel's transmit times
    // came (the sender's error queue; the reflector's Follow-Up Telemetry).
    int64_t t1_user = 0, t3_user = 0;
    StampMethod t1_method = StampMethod::User, t3_method = StampMethod::User;
    uint32_t reflector_seq = 0;
    // The reply's Direct Measurement TLV: the reflector's session counts.
    bool counted = false;
    uint32_t reflector_rx = 0, reflector_tx = 0;
    int ttl = -1;  // the reflector's Ses-Sender TTL; -1 unknown
    bool received = false;
    bool reflector_synchronized = false;
    uint32_t copies = 0;
    uint64_t arrival = 0;  // order of arrival
};

struct Quantiles {
    double min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;  // microseconds
    // The mean and, as ping's mdev, the standard deviation around it.
    double avg = 0, mdev = 0;
    bool valid = false;  // false: no values, every number above is meaningless
};
Quantiles quantiles(std::vector<double> values_us);

struct StampSummary {
    // lost = lost_forward + lost_backward + lost_unknown. Only a stateful
    // reflector's count splits loss by direction, and only between the first
    // and the last packet it answered: before and after them (and against a
    // stateless reflector, all of it) the direction is unknown.
    uint64_t sent = 0, received = 0, lost = 0, lost_forward = 0, lost_backward = 0;
    uint64_t lost_unknown = 0;
    // With the reflector's counters (counted): lost = lost_forward +
    // lost_reflector + lost_backward + lost_unknown, split exactly between
    // replies (stamp_loss.h).
    bool counted = false;
    uint64_t lost_reflector = 0, reflector_resets = 0;
    uint64_t duplicates = 0, reordered = 0, auth_failures = 0, short_replies = 0;
    bool stateful = false;  // the reflector counts its own sequence
    bool directions_meaningful = false;
    int hops = -1;
    Quantiles rtt, network_rtt, processing, forward, backward, queuing;
    double ipdv_forward_us = 0, ipdv_backward_us = 0;      // RFC 3393: mean |IPDV|
    double jitter_forward_us = 0, jitter_backward_us = 0;  // RFC 3550 estimate
    bool jitter_valid = false;                             // two replies or more
    std::vector<double> rtt_values_us;                     // for --histogram
    // The decomposition (at least two sizes) and how well it fits.
    SizeFit fit;
    std::vector<std::pair<uint32_t, double>> min_network_rtt_by_size;  // size, us
    // The run as a benchmark: replies per second of sending time, and the
    // server's CPU per reply when --server-pid was given (< 0: unknown).
    double ops_per_s = 0;
    double server_cpu_us_per_op = -1;
    ReplyExtensions extensions;  // --tlv: the last reply's TLVs, DSCP and TTL
    // How T1 and T3 were taken, the user-space readings beside the kernel's
    // and the error bound of the one-way figures (stamp_timestamping.h).
    TimestampSummary timestamps;
    CapacityEstimate capacity;  // --train
};

// Pure: the probes (by sender sequence) and the arrival order to numbers;
// `closing`, the packets sent after a lost tail for the reflector's counts
// (stamp_loss.h), only split the loss.
StampSummary summarize(const std::vector<Probe>& probes, bool directions_meaningful,
                       const std::vector<Probe>& closing = {});
// Everything after the interval lines; --histogram's lines at the end.
void print_stamp_summary(FILE* out, const StampOptions& o, const StampSummary& s,
                         int terminal_columns = 0);
// An interval line: sent and received in [from, to) seconds since the start,
// the RTT and processing of the replies that arrived in it.
void print_stamp_interval(FILE* out, Unit unit, double from_s, double to_s, uint64_t sent,
                          const std::vector<double>& rtt_us, const std::vector<double>& proc_us);
// The same for the replies arrivals[first...] (indexes into `probes`).
void print_stamp_interval(FILE* out, Unit unit, double from_s, double to_s, uint64_t sent,
                          const std::vector<Probe>& probes, const std::vector<size_t>& arrivals,
                          size_t first);
void print_stamp_json(FILE* out, const StampSummary& s);
// --samples: every packet's row, then the file closed (stdout flushed);
// false on error.
bool write_samples(FILE* f, const StampOptions& o, const std::vector<Probe>& probes);

// One run: opens the socket, sends and receives as the options say (until
// done or a stop signal), and summarises; nullopt, with the reason in
// *error, when the socket cannot be opened. Progress lines go to `out`.
struct StampRun {
    StampSummary summary;
    std::vector<Probe> probes;
};
std::optional<StampRun> run_stamp(const StampOptions& o, FILE* out, std::string* error);

int run_stamp_command(int argc, char** argv);

}  // namespace smallprobe
