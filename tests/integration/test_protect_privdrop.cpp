// SPDX-License-Identifier: BSD-2-Clause
// Privilege drop: started as root with [daemon] user = nobody and a
// supplementary group, the daemon binds ports below 1024 (which nobody could
// not), then runs as nobody with no supplementary groups, and still serves.
// Runs in a network namespace of its own, so the low ports are free; without
// root it cannot run and exits 77 (skipped).
#include <pwd.h>
#include <unistd.h>

#include "harness.h"

#include "../cmocka.hpp"

using namespace harness;
using namespace protect;

namespace {

std::string status_field(pid_t pid, const std::string& name) {
    std::string status = slurp("/proc/" + std::to_string(pid) + "/status");
    size_t at = status.find("\n" + name + ":");
    if (at == std::string::npos) return "?";
    size_t start = at + name.size() + 2;
    std::string value = status.substr(start, status.find('\n', start) - start);
    size_t first = value.find_first_not_of(" \t");
    return first == std::string::npos ? "" : value.substr(first);
}

void drops_to_nobody_after_binding_low_ports(void**) {
    const passwd* pw = getpwnam("nobody");
    assert_non_null(pw);
    std::string uid = std::to_string(pw->pw_uid), gid = std::to_string(pw->pw_gid);
    // Only root may bind below this port in this namespace.
    assert_str_eq(slurp("/proc/sys/net/ipv4/ip_unprivileged_port_start"), "1024\n");
    TestDaemon d(config_head("user = nobody\n") + "[echo]\ntcp = 127.0.0.1:7\nudp = 127.0.0.1:7\n",
                 {}, {}, {"setpriv", "--groups=4,27"});
    assert_true(d.started());
    assert_true(d.wait_for_log("dropped privileges to user nobody"));
    std::string uids = status_field(d.pid(), "Uid");
    std::string gids = status_field(d.pid(), "Gid");
    std::string groups = status_field(d.pid(), "Groups");
    print_message("Uid: %s / Gid: %s / Groups: '%s'\n", uids.c_str(), gids.c_str(), groups.c_str());
    // real, effective, saved and filesystem ids all dropped
    assert_str_eq(uids, uid + "\t" + uid + "\t" + uid + "\t" + uid);
    assert_str_eq(gids, gid + "\t" + gid + "\t" + gid + "\t" + gid);
    // started with groups 4 and 27: none left
    assert_str_eq(groups, "");
    // The sockets bound as root serve after the drop.
    assert_true(served(7));
    auto reply = udp_ask_from("127.0.0.1", 0, "127.0.0.1", 7, "u");
    assert_true(reply && *reply == "u");
}

void user_is_ignored_with_a_warning_when_not_root(void**) {
    // No control socket: as nobody, the daemon could create one neither in
    // /run nor in the test's directory.
    TestDaemon d("[daemon]\nuser = daemon\n[control]\nsocket =\n[echo]\ntcp = 127.0.0.1:0\n", {},
                 {}, {"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"});
    assert_true(d.started());
    assert_true(d.wait_for_log("warning: user = daemon ignored: not started as root"));
    assert_true(served(d.port("echo", "tcp")));
}

}  // namespace

int main() {
    if (!enter_private_network()) return 77;
    return run_test_group({cmocka_unit_test(drops_to_nobody_after_binding_low_ports),
                           cmocka_unit_test(user_is_ignored_with_a_warning_when_not_root)});
}
