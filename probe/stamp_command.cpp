// SPDX-License-Identifier: BSD-2-Clause
// `smallprobe stamp`: its options, one run (stamp.cpp), the report, the
// samples file and the exit status.
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "datagram_ledger.h"
#include "report.h"
#include "stamp.h"

namespace smallprobe {

int run_stamp_command(int argc, char** argv) {
    StampOptions o;
    std::string error;
    switch (parse_stamp_options(argc, argv, &o, &error)) {
        case StampParse::Help:
            print_stamp_usage(stdout);
            return kExitOk;
        case StampParse::Error:
            return usage_error("smallprobe stamp", error,
                               "smallprobe stamp [options] HOST[:PORT] (smallprobe stamp --help)");
        case StampParse::Run:
            break;
    }
    // --samples -: the samples alone on stdout, everything else on stderr.
    FILE* out = o.samples == "-" ? stderr : stdout;
    FILE* samples = nullptr;
    if (!o.samples.empty()) {
        samples = o.samples == "-" ? stdout : std::fopen(o.samples.c_str(), "w");
        if (!samples) {
            std::fprintf(stderr, "smallprobe stamp: --samples: cannot write %s: %s\n",
                         o.samples.c_str(), strerror(errno));
            return kExitUsage;
        }
    }
    int columns = 0;
    winsize ws{};
    if (isatty(fileno(out)) && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0) columns = ws.ws_col;
    std::optional<StampRun> run = run_stamp(o, out, &error);
    if (!run) {
        std::fprintf(stderr, "smallprobe stamp: %s\n", error.c_str());
        return kExitUnreachable;
    }
    const StampSummary& s = run->summary;
    if (o.json)
        print_stamp_json(out, s);
    else
        print_stamp_summary(out, o, s, columns);
    if (samples && !write_samples(samples, o, run->probes)) {
        std::fprintf(stderr, "smallprobe stamp: --samples: cannot write %s: %s\n",
                     o.samples.c_str(), strerror(errno));
        return kExitErrors;
    }
    // Loss is a measurement, not an error, unless --max-loss says how much is.
    if (loss_exceeds(s.sent, s.lost, o.max_loss_pct)) {
        std::fflush(out);  // after the summary, also when both go to one pipe
        std::fprintf(stderr, "smallprobe stamp: %.3g%% lost, above --max-loss %g%%\n",
                     loss_percent(s.sent, s.lost), o.max_loss_pct);
        return kExitErrors;
    }
    return s.received > 0 && s.auth_failures == 0 ? kExitOk : kExitErrors;
}

}  // namespace smallprobe
