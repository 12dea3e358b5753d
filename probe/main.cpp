// SPDX-License-Identifier: BSD-2-Clause
// smallprobe: a probe and load generator for the RFC 862-868 small services.
// main() parses, resolves, runs one mode and reports; the modes live in
// their own files.

#include <cstdio>
#include <string>

#include "modes.h"
#include "procstat.h"
#include "report.h"
#include "stamp.h"

using namespace smallprobe;

namespace {

void dispatch(Run& run) {
    const Options& o = run.options();
    switch (o.mode) {
        case Mode::Echo:
            o.udp ? run_udp_echo(run) : run_stream(run);
            break;
        case Mode::Line:
            run_stream(run);
            break;
        case Mode::Discard:
        case Mode::Chargen:
            o.udp ? run_bulk_udp(run) : run_bulk_tcp(run);
            break;
        case Mode::Connect:
            run_connect(run);
            break;
        case Mode::Idle:
        case Mode::SlowRead:
            run_hold(run);
            break;
    }
}

}  // namespace

int main(int argc, char** argv) {
    // stamp is matched before the modes' option table runs: its options are
    // another table (-s takes a list, -R counts packets, -i, -4, -6, --tos)
    // and its target's port is optional, so none of its arguments could be
    // read by the modes' parser. That is also why its options must follow it.
    if (argc > 1 && std::string(argv[1]) == "stamp") return run_stamp_command(argc - 1, argv + 1);
    Options options;
    std::string error;
    switch (parse_options(argc, argv, &options, &error)) {
        case ParseOutcome::Help:
            print_usage(stdout);
            return kExitOk;
        case ParseOutcome::Version:
            std::puts("smallprobe " SMALLPROBE_VERSION);
            return kExitOk;
        case ParseOutcome::Error:
            return usage_error("smallprobe", error,
                               "smallprobe MODE [options] HOST:PORT (smallprobe --help for more)");
        case ParseOutcome::Run:
            break;
    }
    auto target = resolve(options.endpoint, options.udp, &error);
    if (!target) {
        std::fprintf(stderr, "smallprobe: %s\n", error.c_str());
        return kExitUnreachable;
    }
    Result result;
    std::optional<uint64_t> server_cpu_before;
    if (options.server_pid) {
        server_cpu_before = process_cpu_ns(options.server_pid);
        if (!server_cpu_before) {
            std::fprintf(stderr,
                         "smallprobe: --server-pid %d: no such process (or /proc not readable)\n",
                         options.server_pid);
            return kExitUsage;
        }
        result.server_rss_kb_before = process_rss_kb(options.server_pid).value_or(0);
    }
    install_stop_signals();
    const uint64_t probe_cpu_before = self_cpu_ns();
    {
        Run run(options, *target, &result);
        dispatch(run);
    }
    result.probe_cpu_ns = self_cpu_ns() - probe_cpu_before;
    if (server_cpu_before) {
        auto after = process_cpu_ns(options.server_pid);
        if (after) {
            result.have_server = true;
            result.server_cpu_ns = *after - *server_cpu_before;
            // Modes that hold connections sampled RSS while holding them.
            if (result.server_rss_kb_held == 0)
                result.server_rss_kb_held = process_rss_kb(options.server_pid).value_or(0);
        } else {
            std::fprintf(stderr, "smallprobe: server %d exited during the run\n",
                         options.server_pid);
        }
    }
    if (options.json) {
        print_json(stdout, options, result);
    } else {
        print_summary(stdout, options, result);
    }
    return exit_status(options, result);
}
