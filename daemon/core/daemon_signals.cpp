// SPDX-License-Identifier: BSD-2-Clause
// The daemon's signals. Each is handled inside the event loop (libevent's
// signal events), never in a signal handler. Every signal a daemon may be
// sent has a decided effect, documented in smalld(8), SIGNALS: none of them
// ends smalld but those that ask it to stop, and those stop it cleanly.
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <iterator>

#include "contain.h"
#include "daemon.h"
#include "log.h"

namespace smalld {

namespace {

// No use here, and their default action would end or stop the daemon:
// ignored by the kernel, silently. A write to a closed peer fails with EPIPE,
// a log line past RLIMIT_FSIZE with EFBIG (and is dropped; logging it would
// only raise SIGXFSZ again); a daemon is no terminal job (SIGSTOP still stops it).
constexpr int kIgnored[] = {SIGPIPE, SIGXFSZ, SIGTSTP, SIGTTIN, SIGTTOU};

// No meaning here, but their default action would end the daemon: noted in
// the log (rate-limited), otherwise ignored. The real-time signals too.
constexpr int kNoted[] = {SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSTKFLT, SIGXCPU};

// SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP and SIGSYS keep their
// default action, a core dump: they mean the process is broken, or that a
// dump is wanted (systemd's watchdog sends SIGABRT to a stalled loop).

LogLimiter signal_log("signals", 10, std::chrono::seconds(10));

// Test-only (SMALLD_TEST_STALL_SIGNAL=1): SIGUSR2 stalls the loop forever, so
// the systemd test can watch the watchdog kill and restart the daemon.
bool stall_on_usr2 = false;

std::string signal_name(int sig) {
    if (sig >= SIGRTMIN && sig <= SIGRTMAX) return "SIGRTMIN+" + std::to_string(sig - SIGRTMIN);
    const char* abbrev = sigabbrev_np(sig);
    return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

}  // namespace

void Daemon::setup_signals() {
    for (int sig : kIgnored) signal(sig, SIG_IGN);
    const char* stall = getenv("SMALLD_TEST_STALL_SIGNAL");
    stall_on_usr2 = stall && !strcmp(stall, "1");
    std::vector<int> handled = {SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1};
    handled.insert(handled.end(), std::begin(kNoted), std::end(kNoted));
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) handled.push_back(sig);
    for (int sig : handled) {
        EventHandle ev(evsignal_new(base_.get(), sig, on_signal_cb, this));
        if (!ev || event_add(ev.get(), nullptr) != 0) {
            LOG_WARNING("cannot handle %s; its default action applies", signal_name(sig).c_str());
            continue;
        }
        signals_.push_back(std::move(ev));
    }
}

void Daemon::on_signal_cb(evutil_socket_t sig, short, void* self) {
    contain("signal", [&] { static_cast<Daemon*>(self)->on_signal(static_cast<int>(sig)); });
}

void Daemon::on_signal(int sig) {
    std::string name = signal_name(sig);
    switch (sig) {
        case SIGTERM:
        case SIGINT:
        case SIGQUIT:
            shutdown(name.c_str());
            return;
        case SIGHUP:
            reload();
            return;
        case SIGUSR1:
            log_status_report(name.c_str());
            return;
        case SIGXCPU:
            if (signal_log.admit(LogLevel::Warning))
                LOG_WARNING(
                    "SIGXCPU: over the soft CPU time limit (RLIMIT_CPU); the hard "
                    "limit will end smalld");
            return;
        case SIGUSR2:
            if (!stall_on_usr2) break;
            LOG_WARNING(
                "SIGUSR2 with SMALLD_TEST_STALL_SIGNAL=1: stalling the loop for the watchdog test");
            log::flush();
            for (;;) pause();
    }
    if (signal_log.admit(LogLevel::Notice))
        LOG_NOTICE("%s: ignored (SIGHUP reloads, SIGUSR1 logs a status report, SIGTERM stops)",
                   name.c_str());
}

// xinetd's state dump, in the log: the status report with the operator's details.
void Daemon::log_status_report(const char* why) {
    LOG_NOTICE("%s: status report", why);
    std::string report = status_report(true);
    for (size_t at = 0; at < report.size();) {
        size_t end = report.find("\r\n", at);
        if (end == std::string::npos) end = report.size();
        if (end > at) LOG_NOTICE("status: %.*s", int(end - at), report.data() + at);
        at = end + 2;
    }
}

}  // namespace smalld
