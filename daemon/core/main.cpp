// SPDX-License-Identifier: BSD-2-Clause
// smalld [-c FILE] [-t] [-l LEVEL] [-V] [-h]: always in the foreground.
#include <event2/event.h>
#include <getopt.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "build_config.h"
#include "config.h"
#include "config_dump.h"
#include "daemon.h"
#include "log.h"
#include "parse.h"
#include "utf8.h"

namespace {

constexpr int kExitUsage = 64;
constexpr int kExitConfig = 78;
constexpr int kExitLogLost = 74;  // EX_IOERR: the final log flush gave up

constexpr option kLongOptions[] = {
    {"config", required_argument, nullptr, 'c'},
    {"check", no_argument, nullptr, 't'},
    {"dump-config", no_argument, nullptr, 'T'},
    {"log-level", required_argument, nullptr, 'l'},
    {"version", no_argument, nullptr, 'V'},
    {"help", no_argument, nullptr, 'h'},
    {nullptr, 0, nullptr, 0},
};

void usage(FILE* out) {
    fprintf(out,
            "usage: smalld [-c FILE] [-t | -T] [-l LEVEL] [-V] [-h]\n"
            "  -c, --config FILE      configuration file (default %s)\n"
            "  -t, --check            check the configuration and exit\n"
            "  -T, --dump-config      check it, print it with each value's origin, exit\n"
            "  -l, --log-level LEVEL  log level: error, warning, notice, info, debug\n"
            "  -V, --version          print the version and exit\n"
            "  -h, --help             this help\n",
            SMALLD_CONFIG_PATH);
}

// libevent's own warnings go to our log: queued without calling back into
// libevent (it forbids that here), and rate-limited, as a failing call may
// repeat on every loop iteration.
smalld::LogLimiter libevent_limiter("libevent", 10, std::chrono::seconds(10), true);

void libevent_log(int severity, const char* message) noexcept {
    using smalld::LogLevel;
    LogLevel level = severity >= EVENT_LOG_ERR    ? LogLevel::Error
                     : severity >= EVENT_LOG_WARN ? LogLevel::Warning
                     : severity >= EVENT_LOG_MSG  ? LogLevel::Info
                                                  : LogLevel::Debug;
    try {
        libevent_limiter.write(level, "libevent: %s", message);
    } catch (...) {
        // Out of memory: the line is lost; throwing into libevent would end us.
    }
}

// As many descriptors as the hard limit allows: each session needs one.
void raise_fd_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::string path = SMALLD_CONFIG_PATH;
    bool check_only = false;
    bool dump = false;
    std::optional<smalld::LogLevel> level;
    std::string level_error;
    int opt;
    while ((opt = getopt_long(argc, argv, "c:tTl:Vh", kLongOptions, nullptr)) != -1) {
        switch (opt) {
            case 'c':
                path = optarg;
                break;
            case 't':
                check_only = true;
                break;
            case 'T':
                dump = true;
                break;
            case 'l':
                level = smalld::parse_log_level(optarg, &level_error);
                if (!level) {
                    fprintf(stderr, "smalld: -l/--log-level: %s\n", level_error.c_str());
                    return kExitUsage;
                }
                break;
            case 'V':
                printf("smalld %s\n", SMALLD_VERSION);
                return 0;
            case 'h':
                usage(stdout);
                return 0;
            default:
                usage(stderr);
                return kExitUsage;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "smalld: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return kExitUsage;
    }

    smalld::ConfigResult result = smalld::load_config(path);
    if (!result.ok()) {
        for (const auto& error : result.errors)
            fprintf(stderr, "%s\n", smalld::escape_unprintable(error.to_string()).c_str());
        fprintf(stderr, "smalld: %zu error%s in %s\n", result.errors.size(),
                result.errors.size() == 1 ? "" : "s", smalld::escape_unprintable(path).c_str());
        return kExitConfig;
    }
    if (dump) {
        // Line by line: a value with a control character in it is escaped.
        std::string text = smalld::escape_unprintable_lines(smalld::dump_config(*result.config));
        if (!text.empty() && text.back() != '\n') text += '\n';
        fputs(text.c_str(), stdout);
        return 0;
    }
    if (check_only) {
        printf("configuration OK\n");
        return 0;
    }

    smalld::log::set_level(level.value_or(result.config->daemon.log_level));
    event_set_log_callback(libevent_log);
    raise_fd_limit();
    int status = 0;
    {
        smalld::Daemon daemon(std::move(*result.config));
        if (level) daemon.pin_log_level();
        if (auto error = daemon.start()) {
            LOG_ERROR("%s", error->message.c_str());
            smalld::log::flush();
            return error->exit_code;
        }
        status = daemon.run();
    }  // the daemon's end flushes the log, for a bounded time
    if (status == 0 && smalld::log::lost_at_exit()) return kExitLogLost;
    return status;
}
