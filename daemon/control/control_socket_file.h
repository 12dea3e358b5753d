// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The control socket's file in the file system, all of it: its directory
// made, a stale socket replaced (a live one's never), the file born private
// and given its owner, group and mode without following a swapped-in link,
// and removed at the end only if it is still the one this daemon bound.

#include <sys/types.h>
#include <sys/un.h>

#include <string>

#include "config.h"
#include "event_handle.h"

namespace smalld {

class ControlSocketFile {
  public:
    ControlSocketFile() = default;
    ~ControlSocketFile() { remove(); }
    ControlSocketFile(const ControlSocketFile&) = delete;
    ControlSocketFile& operator=(const ControlSocketFile&) = delete;

    // A bound, not yet listening, AF_UNIX stream socket at config.socket,
    // with config.group and config.mode; `owner` (uid_t(-1): unchanged) gets
    // the file and a directory this call made. On failure an invalid Fd and
    // `error` says what failed and what to do.
    Fd open(const ControlConfig& config, uid_t owner, std::string* error);
    // Unlinks the file if it is still the inode open() bound: a newer daemon
    // may have replaced it. Once only.
    void remove();
    const std::string& path() const { return path_; }

    // How long an existing socket's owner may take to answer at start-up.
    static constexpr int kProbeWaitMs = 500;

  private:
    std::string path_;
    dev_t dev_ = 0;
    ino_t ino_ = 0;
    bool bound_ = false;
};

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
