// SPDX-License-Identifier: BSD-2-Clause
// The status service answers anyone its ACL admits; the operator's details
// (the config file's path, the last reload's error, which quotes the file)
// stay on the control socket unless `details = yes` asks for them.
#include <signal.h>
#include <unistd.h>

#include <string>

#include "control_request.h"
#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using harness::TestDaemon;

namespace {

std::string config(const std::string& details) {
    return "[daemon]\nlog_connections = no\n[control]\nsocket = @DIR@/control.sock\nmode = 0600\n"
           "[status]\ntcp = 127.0.0.1:0\nudp = 127.0.0.1:0\nrate = 0/s\n" +
           details + "[echo]\ntcp = 127.0.0.1:0\n";
}

// A reload that fails and quotes a line of the file, the kind of text an
// operator would not publish.
void fail_a_reload(TestDaemon& d, const std::string& ini) {
    d.write_config(ini + "idle_timeout = hunter2\xff\n");
    size_t mark = d.log_size();
    d.signal(SIGHUP);
    assert_true(d.wait_for_log("reload failed", harness::kPatienceMs, mark));
}

std::string tcp_report(TestDaemon& d) {
    std::string report = protect::status_text(d);
    assert_true(report.find("smalld ") == 0);
    return report;
}

std::string smallctl_status(TestDaemon& d) {
    int rc = -1;
    std::string out = harness::smallctl(d, "status", &rc);
    assert_int_equal(rc, 0);
    return out;
}

void hidden_by_default(void**) {
    std::string ini = config("");
    TestDaemon d(ini);
    assert_true(d.started());
    fail_a_reload(d, ini);
    for (const std::string& report :
         {tcp_report(d), harness::udp_exchange(d.port("status", "udp"), std::string(2000, 'x'))}) {
        assert_true(report.find("smalld ") == 0);
        if (report.find(d.config_path()) != std::string::npos ||
            report.find(d.dir()) != std::string::npos)
            fail_msg("the status service shows the config path:\n%s", report.c_str());
        if (report.find("hunter2") != std::string::npos ||
            report.find("failed") != std::string::npos)
            fail_msg("the status service shows the reload error:\n%s", report.c_str());
    }
    // The counters are still there for anyone.
    assert_true(tcp_report(d).find("echo") != std::string::npos);
    // The operator still sees everything on the control socket.
    std::string status = smallctl_status(d);
    assert_true(status.find(d.config_path()) != std::string::npos);
    assert_true(status.find("hunter2") != std::string::npos);
}

void shown_when_asked(void**) {
    std::string ini = config("details = yes\n");
    TestDaemon d(ini);
    assert_true(d.started());
    fail_a_reload(d, ini);
    std::string report = tcp_report(d);
    assert_true(report.find(d.config_path()) != std::string::npos);
    assert_true(report.find("last reload: failed") != std::string::npos);
    // Quoted bytes that are not UTF-8 are shown escaped, never sent raw.
    assert_true(report.find("hunter2\\xff") != std::string::npos);
    assert_true(smalld::valid_utf8(report));
}

}  // namespace

int main() {
    return run_test_group(
        {cmocka_unit_test(hidden_by_default), cmocka_unit_test(shown_when_asked)});
}
