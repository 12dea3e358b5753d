// SPDX-License-Identifier: BSD-2-Clause
// The control socket's file: telling a live socket from a stale one without
// blocking, and setting its access without following a swapped-in link.
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

#include "../cmocka.hpp"
#include "control_socket_file.h"

using namespace smalld;

namespace {

std::string temp_dir() {
    char templ[] = "/tmp/smalld-sockfile.XXXXXX";
    return mkdtemp(templ);
}

sockaddr_un address(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    return addr;
}

int bound_socket(const sockaddr_un& addr) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

}  // namespace

static void probe_tells_stale_from_live(void**) {
    std::string dir = temp_dir();
    sockaddr_un addr = address(dir + "/s.sock");
    assert_true(probe_socket(addr, 100).state == SocketProbe::Stale);  // no file

    int fd = bound_socket(addr);
    assert_true(fd >= 0);
    assert_true(probe_socket(addr, 100).state == SocketProbe::Stale);  // nobody listens
    assert_int_equal(listen(fd, 0), 0);
    assert_true(probe_socket(addr, 100).state == SocketProbe::Live);

    // A listener that never accepts, its backlog full: live, and the probe
    // gives up in bounded time instead of blocking (its own 200 ms, checked
    // with room for a loaded machine: only a probe that blocks fails).
    int queued[4];
    for (int& q : queued) {
        q = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        (void)!connect(q, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    }
    auto start = std::chrono::steady_clock::now();
    assert_true(probe_socket(addr, 200).state == SocketProbe::Live);
    assert_true(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
    for (int q : queued) close(q);
    close(fd);
    unlink(addr.sun_path);
    rmdir(dir.c_str());
}

static void access_is_set_on_the_bound_socket_only(void**) {
    std::string dir = temp_dir();
    std::string sock = dir + "/s.sock", target = dir + "/target", link = dir + "/link.sock";
    int fd = bound_socket(address(sock));
    assert_true(fd >= 0);
    struct stat st {};
    assert_int_equal(lstat(sock.c_str(), &st), 0);
    assert_int_equal(
        set_socket_file_access(sock.c_str(), st.st_dev, st.st_ino, uid_t(-1), 65534, 0640), 0);
    struct stat after {};
    assert_int_equal(lstat(sock.c_str(), &after), 0);
    assert_int_equal(after.st_mode & 07777, 0640);
    assert_int_equal(after.st_gid, 65534);

    // The path now names a link to another file: that file is left alone,
    // even when the link points at the socket's own inode.
    int t = open(target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    assert_true(t >= 0);
    close(t);
    assert_int_equal(symlink(target.c_str(), link.c_str()), 0);
    assert_int_equal(set_socket_file_access(link.c_str(), st.st_dev, st.st_ino, 65534, 65534, 0666),
                     ESTALE);
    struct stat tst {};
    assert_int_equal(stat(target.c_str(), &tst), 0);
    assert_int_equal(tst.st_mode & 07777, 0600);
    assert_int_equal(tst.st_uid, 0);
    assert_int_equal(symlink(sock.c_str(), (dir + "/self.sock").c_str()), 0);
    assert_int_equal(set_socket_file_access((dir + "/self.sock").c_str(), st.st_dev, st.st_ino,
                                            uid_t(-1), gid_t(-1), 0666),
                     ESTALE);
    assert_int_equal(lstat(sock.c_str(), &after), 0);
    assert_int_equal(after.st_mode & 07777, 0640);
    close(fd);
    for (const char* name : {"/s.sock", "/target", "/link.sock", "/self.sock"})
        unlink((dir + name).c_str());
    rmdir(dir.c_str());
}

int main() {
    return run_test_group({cmocka_unit_test(probe_tells_stale_from_live),
                           cmocka_unit_test(access_is_set_on_the_bound_socket_only)});
}
