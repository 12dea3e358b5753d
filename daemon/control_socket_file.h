#pragma once
// The control socket's file in the file system: is an existing one still in
// use, and setting its owner and mode without following a swapped-in link.

#include <sys/types.h>
#include <sys/un.h>

namespace smalld {

enum class SocketProbe {
    Stale,  // nobody listens (ECONNREFUSED) or the file is gone: safe to replace
    Live,   // a process listens, even one too busy to accept
    Error,  // cannot tell (e.g. EACCES): the caller must not replace it
};

struct SocketProbeResult {
    SocketProbe state = SocketProbe::Error;
    int error = 0;  // the errno behind Error
};

// Connects without blocking to `addr`; a listener whose backlog is full is
// retried for at most `wait_ms`, then taken as live.
SocketProbeResult probe_socket(const sockaddr_un& addr, int wait_ms);

// Gives the socket file at `path` its owner, group and mode, provided it is
// still the inode (dev, ino) the daemon bound: never follows a symbolic link
// put in its place. uid/gid -1 leave that id as it is. Returns 0 or an errno
// (ESTALE when the path no longer names that inode).
int set_socket_file_access(const char* path, dev_t dev, ino_t ino, uid_t uid, gid_t gid,
                           mode_t mode);

}  // namespace smalld
