// SPDX-License-Identifier: BSD-2-Clause
#include "control_socket_file.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "log.h"

namespace smalld {

namespace {

bool make_directories(const std::string& dir, bool* created) {
    struct stat st {};
    if (dir.empty() || stat(dir.c_str(), &st) == 0) return true;
    size_t slash = dir.rfind('/');
    if (slash != std::string::npos && slash > 0 && !make_directories(dir.substr(0, slash), created))
        return false;
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return false;
    *created = true;
    return true;
}

bool fill_address(const std::string& path, sockaddr_un* addr) {
    *addr = {};
    addr->sun_family = AF_UNIX;
    if (path.size() >= sizeof addr->sun_path) return false;
    memcpy(addr->sun_path, path.c_str(), path.size() + 1);
    return true;
}

}  // namespace

Fd ControlSocketFile::open(const ControlConfig& config, uid_t owner, std::string* error) {
    auto fail = [&](std::string message) {
        *error = std::move(message);
        return Fd();
    };
    path_ = config.socket;
    sockaddr_un addr;
    if (!fill_address(path_, &addr))
        return fail("control socket path too long (at most " +
                    std::to_string(sizeof addr.sun_path - 1) + " bytes): " + path_);
    bool created_dir = false;
    std::string dir = path_.substr(0, path_.rfind('/') == std::string::npos ? 0 : path_.rfind('/'));
    if (!make_directories(dir, &created_dir))
        return fail("cannot create the directory of the control socket " + dir + ": " +
                    strerror(errno));

    struct stat st {};
    if (lstat(path_.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return fail("control socket " + path_ +
                        " exists and is not a socket; remove it or set [control] socket");
        SocketProbeResult probe = probe_socket(addr, kProbeWaitMs);
        if (probe.state == SocketProbe::Live) return fail("another smalld is running on " + path_);
        if (probe.state == SocketProbe::Error)
            return fail("cannot tell whether the control socket " + path_ +
                        " is in use (connect: " + strerror(probe.error) +
                        "); not replacing it: stop its owner or remove it");
        if (unlink(path_.c_str()) != 0 && errno != ENOENT)
            return fail("cannot remove the stale control socket " + path_ + ": " + strerror(errno));
        LOG_INFO("control: removed stale socket %s", path_.c_str());
    }

    Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) return fail(std::string("control socket: ") + strerror(errno));
    // Born private; opened up to `mode` once it has its owner and group.
    mode_t old_mask = umask(0177);
    int bound = bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    int bind_errno = errno;
    umask(old_mask);
    if (bound != 0)
        return fail("cannot bind the control socket " + path_ + ": " + strerror(bind_errno));
    if (lstat(path_.c_str(), &st) == 0) {
        dev_ = st.st_dev;
        ino_ = st.st_ino;
    }
    bound_ = true;
    gid_t gid = gid_t(-1);
    if (!config.group.empty()) {
        const struct group* gr = getgrnam(config.group.c_str());
        if (!gr) return fail("control socket: no group \"" + config.group + "\"");
        gid = gr->gr_gid;
    }
    if (created_dir && owner != uid_t(-1) && chown(dir.c_str(), owner, gid_t(-1)) != 0)
        LOG_WARNING("control: cannot chown %s: %s", dir.c_str(), strerror(errno));
    if (int err = set_socket_file_access(path_.c_str(), dev_, ino_, owner, gid, config.mode))
        return fail("cannot set the owner and mode of the control socket " + path_ + ": " +
                    strerror(err));
    return fd;
}

void ControlSocketFile::remove() {
    if (!bound_) return;
    bound_ = false;
    struct stat st {};
    if (lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_ &&
        unlink(path_.c_str()) != 0)
        LOG_WARNING("control: cannot remove %s: %s", path_.c_str(), strerror(errno));
}

SocketProbeResult probe_socket(const sockaddr_un& addr, int wait_ms) {
    Fd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!probe) return {SocketProbe::Error, errno};
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    for (;;) {
        if (connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0)
            return {SocketProbe::Live, 0};
        int err = errno;
        if (err == ECONNREFUSED || err == ENOENT) return {SocketProbe::Stale, err};
        if (err == EINPROGRESS) {
            pollfd p{probe.get(), POLLOUT, 0};
            if (poll(&p, 1, wait_ms) <= 0) return {SocketProbe::Live, 0};  // it exists, wedged
            socklen_t len = sizeof err;
            if (getsockopt(probe.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
            if (err == 0) return {SocketProbe::Live, 0};
            if (err == ECONNREFUSED || err == ENOENT) return {SocketProbe::Stale, err};
            return {SocketProbe::Error, err};
        }
        if (err != EAGAIN && err != EINTR) return {SocketProbe::Error, err};
        // EAGAIN: someone listens but does not accept; give it a moment.
        if (std::chrono::steady_clock::now() >= deadline) return {SocketProbe::Live, 0};
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

int set_socket_file_access(const char* path, dev_t dev, ino_t ino, uid_t uid, gid_t gid,
                           mode_t mode) {
    struct stat st {};
    if (lstat(path, &st) != 0) return errno;
    if (!S_ISSOCK(st.st_mode) || st.st_dev != dev || st.st_ino != ino) return ESTALE;
    // NOFOLLOW: if the path is swapped for a link after the check, these act
    // on the link itself (or fail), never on what it points to.
    if ((uid != uid_t(-1) || gid != gid_t(-1)) &&
        fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
        return errno;
    if (fchmodat(AT_FDCWD, path, mode, AT_SYMLINK_NOFOLLOW) != 0) return errno;
    return 0;
}

}  // namespace smalld
