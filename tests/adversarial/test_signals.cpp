// SPDX-License-Identifier: BSD-2-Clause
// Every signal a daemon may be sent: smalld keeps serving, or shuts down
// cleanly (exit 0, control socket removed) for the ones that ask it to stop.
// It is never killed, stopped or left with its socket file behind by one.
// Not sent: SIGKILL and SIGSTOP (uncatchable) and the signals that mean the
// process is broken or is asked for a core dump (SIGABRT, systemd's watchdog
// signal; SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS): those keep their
// default action on purpose, and the test checks that they do.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using harness::TestDaemon;

namespace {

const std::string kConfig = harness::control_head("0600") + R"(
[echo]
tcp = 127.0.0.1:0
rate = 0/s
)";

const int kStopSignals[] = {SIGTERM, SIGINT, SIGQUIT};
const int kDefaultAction[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS};
// Sent like the others, but their default action already does nothing.
const int kHarmlessByDefault[] = {SIGCHLD, SIGCONT, SIGURG, SIGWINCH};

bool one_of(int sig, const int* list, size_t n) {
    for (size_t i = 0; i < n; ++i)
        if (list[i] == sig) return true;
    return false;
}

// Every signal a process can catch and survive, but SIGHUP (a reload,
// tested with the control socket) and the stop signals: the standard ones,
// then the real-time ones (glibc keeps the first two for itself).
std::vector<int> survivable_signals() {
    std::vector<int> out;
    for (int sig = 1; sig < SIGRTMIN; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP || sig == SIGHUP || sig >= 32) continue;
        if (one_of(sig, kStopSignals, std::size(kStopSignals))) continue;
        if (one_of(sig, kDefaultAction, std::size(kDefaultAction))) continue;
        out.push_back(sig);
    }
    for (int sig = SIGRTMIN; sig <= SIGRTMAX; ++sig) out.push_back(sig);
    return out;
}

std::string name_of(int sig) {
    if (sig >= SIGRTMIN) return "SIGRTMIN+" + std::to_string(sig - SIGRTMIN);
    const char* abbrev = sigabbrev_np(sig);
    return std::string("SIG") + (abbrev ? abbrev : std::to_string(sig).c_str());
}

// The signal masks of /proc/PID/status: "SigCgt:" or "SigIgn:".
uint64_t signal_mask(pid_t pid, const char* field) {
    std::string status = harness::slurp("/proc/" + std::to_string(pid) + "/status");
    size_t at = status.find(field);
    assert_true(at != std::string::npos);
    return strtoull(status.c_str() + at + strlen(field), nullptr, 16);
}

bool in_mask(uint64_t mask, int sig) {
    return mask & (uint64_t(1) << (sig - 1));
}

// Serves echo and answers on the control socket, within generous bounds.
void assert_serving(TestDaemon& d, const std::string& after) {
    int status = d.wait_exit(0);
    if (status >= 0)
        fail_msg("smalld exited with %d after %s; log:\n%s", status, after.c_str(),
                 d.log().c_str());
    int fd = harness::tcp_connect(d.port("echo", "tcp"));
    std::string probe = "after " + after + "\n";
    bool echoed =
        fd >= 0 && harness::send_all(fd, probe) && harness::recv_exactly(fd, probe.size()) == probe;
    if (fd >= 0) close(fd);
    if (!echoed) {
        // Killed as the signal arrived, or merely stopped?
        status = d.wait_exit(5000);
        if (status >= 0) fail_msg("smalld exited with %d after %s", status, after.c_str());
        fail_msg("echo does not answer after %s", after.c_str());
    }
    int rc = -1;
    std::string out = harness::smallctl(d, "status", &rc);
    if (rc != 0)
        fail_msg("smallctl status failed (%d) after %s: %s", rc, after.c_str(), out.c_str());
}

void assert_clean_exit(TestDaemon& d, const std::string& after) {
    int status = d.wait_exit(harness::kPatienceMs);
    if (status != 0)
        fail_msg("after %s: exit status %d, expected 0; log:\n%s", after.c_str(), status,
                 d.log().c_str());
    struct stat st {};
    if (lstat(d.control_socket().c_str(), &st) == 0)
        fail_msg("after %s: the control socket was left behind", after.c_str());
}

void dispositions(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    uint64_t caught = signal_mask(d.pid(), "SigCgt:");
    uint64_t ignored = signal_mask(d.pid(), "SigIgn:");
    for (int sig : survivable_signals())
        if (!one_of(sig, kHarmlessByDefault, std::size(kHarmlessByDefault)) &&
            !in_mask(caught | ignored, sig))
            fail_msg("%s is neither handled nor ignored: its default action applies",
                     name_of(sig).c_str());
    for (int sig : kStopSignals)
        if (!in_mask(caught, sig)) fail_msg("%s is not handled", name_of(sig).c_str());
    // The fault signals are not checked: ASan's runtime handles SIGSEGV,
    // SIGBUS and SIGFPE itself. SIGABRT matters most: systemd's watchdog.
    if (in_mask(caught | ignored, SIGABRT))
        fail_msg("SIGABRT must keep its default action (a core dump)");
}

void sweep(void**) {
    TestDaemon d(kConfig);
    assert_true(d.started());
    // A default action that ends or stops the process takes effect as the
    // signal is delivered, before the echo round trip that follows.
    for (int sig : survivable_signals()) {
        d.signal(sig);
        assert_serving(d, name_of(sig));
    }
    // SIGHUP reloads; SIGUSR1 wrote a status report to the log.
    size_t mark = d.log_size();
    d.signal(SIGHUP);
    assert_true(d.wait_for_log("reload done", harness::kPatienceMs, mark));
    assert_serving(d, "SIGHUP");
    std::string log = d.log();
    assert_true(log.find("SIGUSR1: status report") != std::string::npos);
    assert_true(log.find("status: config " + d.config_path()) != std::string::npos);
    assert_true(log.find("status: TCP sessions:") != std::string::npos);
    assert_true(log.find("SIGUSR2: ignored") != std::string::npos);
    // A burst of signals is as harmless as one.
    for (int i = 0; i < 200; ++i) d.signal(SIGUSR2);
    assert_serving(d, "200 SIGUSR2");
    d.signal(SIGTERM);
    assert_clean_exit(d, "the sweep and SIGTERM");
}

void stop_signals(void**) {
    for (int sig : kStopSignals) {
        TestDaemon d(kConfig);
        assert_true(d.started());
        int fd = harness::tcp_connect(d.port("echo", "tcp"));
        assert_true(fd >= 0);
        d.signal(sig);
        // An open session does not keep the daemon from exiting.
        assert_clean_exit(d, name_of(sig));
        close(fd);
        assert_true(d.log().find(name_of(sig) + ": stopping") != std::string::npos);
    }
}

}  // namespace

int main() {
    return run_test_group(
        {cmocka_unit_test(dispositions), cmocka_unit_test(sweep), cmocka_unit_test(stop_signals)});
}
