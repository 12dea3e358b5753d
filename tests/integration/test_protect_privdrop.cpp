// Privilege drop: started as root with [daemon] user = nobody, the daemon
// binds, then runs as nobody with no supplementary groups, and still serves.
#include <pwd.h>
#include <unistd.h>

#include "harness.h"
#include "protect.h"

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

void drops_to_nobody_and_still_serves(void**) {
    if (geteuid() != 0) {
        print_message("not root: skipped\n");
        skip();
    }
    const passwd* pw = getpwnam("nobody");
    assert_non_null(pw);
    std::string uid = std::to_string(pw->pw_uid), gid = std::to_string(pw->pw_gid);
    TestDaemon d(config_head("user = nobody\n") + "[echo]\ntcp = 127.0.0.1:0\nudp = 127.0.0.1:0\n");
    assert_true(d.started());
    assert_true(d.wait_for_log("dropped privileges to user nobody"));
    std::string uids = status_field(d.pid(), "Uid");
    std::string gids = status_field(d.pid(), "Gid");
    std::string groups = status_field(d.pid(), "Groups");
    print_message("Uid: %s / Gid: %s / Groups: '%s'\n", uids.c_str(), gids.c_str(), groups.c_str());
    // real, effective, saved and filesystem ids all dropped
    assert_str_eq(uids, uid + "\t" + uid + "\t" + uid + "\t" + uid);
    assert_str_eq(gids, gid + "\t" + gid + "\t" + gid + "\t" + gid);
    assert_str_eq(groups, "");
    int fd = tcp_connect(d.port("echo", "tcp"));
    assert_true(echoes(fd));
    close(fd);
    auto reply = udp_ask_from("127.0.0.1", 0, "127.0.0.1", d.port("echo", "udp"), "u");
    assert_true(reply && *reply == "u");
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(drops_to_nobody_and_still_serves),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
