// SPDX-License-Identifier: BSD-2-Clause
#include "privileges.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "log.h"

namespace smalld {

namespace {

enum class Drop { NoUser, NotRoot, Systemd, Yes };

Drop will_drop(const DaemonConfig& config) {
    if (config.user.empty()) return Drop::NoUser;
    if (geteuid() != 0) return Drop::NotRoot;
    if (getenv("INVOCATION_ID")) return Drop::Systemd;  // the unit sets the user
    return Drop::Yes;
}

}  // namespace

uid_t user_after_drop(const DaemonConfig& config) {
    if (will_drop(config) != Drop::Yes) return uid_t(-1);
    const passwd* pw = getpwnam(config.user.c_str());
    return pw ? pw->pw_uid : uid_t(-1);
}

void drop_privileges(const DaemonConfig& config) {
    const char* user = config.user.c_str();
    switch (will_drop(config)) {
        case Drop::NoUser:
            return;
        case Drop::NotRoot:
            LOG_WARNING("user = %s ignored: not started as root (running as uid %u)", user,
                        unsigned(geteuid()));
            return;
        case Drop::Systemd:
            LOG_NOTICE("user = %s ignored under systemd: the unit sets the user", user);
            return;
        case Drop::Yes:
            break;
    }
    const passwd* pw = getpwnam(user);
    if (!pw) {
        LOG_ERROR("user %s vanished; refusing to run as root", user);
        exit(71);
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
        LOG_ERROR("cannot drop privileges to %s: %s", user, strerror(errno));
        exit(71);
    }
    // Verify: no way back to root, and no supplementary group left.
    if (setuid(0) == 0 || getuid() != uid || geteuid() != uid || getgid() != gid ||
        getgroups(0, nullptr) != 0) {
        LOG_ERROR("privilege drop to %s did not hold; exiting", user);
        exit(71);
    }
    LOG_NOTICE("dropped privileges to user %s (uid %u, gid %u)", user, unsigned(uid),
               unsigned(gid));
}

}  // namespace smalld
