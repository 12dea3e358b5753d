#include "control_socket_file.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "event_handle.h"

namespace smalld {

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
