// SPDX-License-Identifier: BSD-2-Clause
// Availability of the control socket under a slow-request flood: clients of
// 8, 64 and 1,000 users (the socket's "sources", from SO_PEERCRED) each send
// the start of a command and then a byte a second, and reconnect when
// closed; and the same from the daemon's own user (root). Meanwhile
// `smallctl status` as root, and (but for root's flood) as a user of its
// own, must succeed every time.
#include <poll.h>
#include <signal.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control_server.h"
#include "harness.h"
#include "slow_flood.h"

#include "../cmocka.hpp"

using namespace harness;
using adversary::SlowFlood;
using smalld::ControlServer;

namespace {

constexpr int kTries = 10;
constexpr uid_t kFloodUids = 20000;  // the flood's users: 20000, 20001, ...
const std::string kFreshUid = "65533";

const std::string kConfig = harness::control_head() + R"(
[echo]
tcp = 127.0.0.1:0
)";

// A non-blocking connection to `path` as effective user `uid` (SO_PEERCRED
// gives the effective uid at connect time), or -1.
int open_as(const std::string& path, uid_t uid) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    bool ok = seteuid(uid) == 0;
    ok = ok && connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (seteuid(0) != 0) _exit(3);
    if (!ok) {
        close(fd);
        return -1;
    }
    return fd;
}

// The flood, in a child process (it changes its effective uid): runs until
// the parent closes `stop` (or dies), at most 10 minutes. Reports, through
// `ready`, once every user has connected and it holds `want` connections.
pid_t start_flood(const std::string& path, int users, uid_t first_uid, int per_user, size_t want,
                  int* ready_fd, int* stop_fd) {
    int ready[2], stop[2];
    if (pipe(ready) != 0 || pipe(stop) != 0) return -1;
    pid_t child = fork();
    if (child == 0) {
        close(ready[0]);
        close(stop[1]);
        raise_fd_limit();
        SlowFlood flood(users, per_user, "status", "x",
                        [&](int user) { return open_as(path, first_uid + uid_t(user)); });
        bool told = false;
        for (int round = 0; round < 6000; ++round) {
            flood.round();
            // Every user has connected at least once, and the flood holds
            // what it can.
            if (!told && flood.opened() >= flood.slots() && flood.holding() >= want) {
                told = true;
                (void)!write(ready[1], "r", 1);
            }
            pollfd p{stop[0], POLLIN, 0};
            if (poll(&p, 1, 100) != 0) break;
        }
        fprintf(stderr, "control flood: %llu connections opened, %llu closed by the daemon\n",
                static_cast<unsigned long long>(flood.opened()),
                static_cast<unsigned long long>(flood.closed()));
        _exit(0);
    }
    close(ready[1]);
    close(stop[0]);
    *ready_fd = ready[0];
    *stop_fd = stop[1];
    return child;
}

void flood_and_ask(int users, uid_t first_uid, int per_user) {
    need_root("to act as other users");
    TestDaemon d(kConfig);
    assert_true(d.started());
    // Enough to take every slot the flood's users may have.
    bool admins = first_uid == 0;
    size_t cap = admins ? ControlServer::kMaxClients
                        : ControlServer::kMaxClients - ControlServer::kAdminReserved;
    size_t want = std::min(
        cap, size_t(users) * std::min(size_t(per_user), admins ? size_t(per_user)
                                                               : ControlServer::kMaxClientsPerUid));
    int ready = -1, stop = -1;
    pid_t child = start_flood(d.control_socket(), users, first_uid, per_user, want, &ready, &stop);
    assert_true(child > 0);
    pollfd p{ready, POLLIN, 0};
    if (poll(&p, 1, kPatienceMs) != 1)
        print_message("control flood: did not hold %zu connections in %d ms\n", want, kPatienceMs);
    usleep(kQuietMs * 1000);

    int as_root = 0, as_fresh = 0;
    for (int i = 0; i < kTries; ++i) {
        as_root += smallctl_as(d, "0", "status") == 0;
        as_fresh += smallctl_as(d, kFreshUid, "status") == 0;
    }
    close(stop);
    close(ready);
    int status = -1;
    waitpid(child, &status, 0);
    print_message(
        "control flood from %d %s x %d: smallctl status served %d of %d as root, %d of %d as "
        "another user\n",
        users, admins ? "(root)" : "users", per_user, as_root, kTries, as_fresh, kTries);
    assert_int_equal(as_root, kTries);
    // Root's own flood may lock out read-only users: a read-only newcomer
    // never displaces an admin's client.
    if (!admins) assert_int_equal(as_fresh, kTries);
    harness::ControlClient admin(d.control_socket());
    nlohmann::json stats = admin.request("stats");
    print_message("control flood: %s clients evicted, %s refused\n",
                  stats["data"]["control"]["clients_evicted_total"].dump().c_str(),
                  stats["data"]["control"]["clients_refused_total"].dump().c_str());
    assert_true(stats["data"].value("/control/clients_evicted_total"_json_pointer, uint64_t(0)) >
                0);
}

void from_8_users(void**) {
    flood_and_ask(8, kFloodUids, 16);
}
void from_64_users(void**) {
    flood_and_ask(64, kFloodUids, 2);
}
void from_1000_users(void**) {
    flood_and_ask(1000, kFloodUids, 1);
}
// The daemon's own user: admin clients, which no reserved slot protects.
void from_root(void**) {
    flood_and_ask(1, 0, 160);
}

}  // namespace

int main() {
    signal(SIGPIPE, SIG_IGN);
    if (!protect::enter_private_network()) return 77;
    return run_test_group({cmocka_unit_test(from_8_users), cmocka_unit_test(from_64_users),
                           cmocka_unit_test(from_1000_users), cmocka_unit_test(from_root)});
}
