// SPDX-License-Identifier: BSD-2-Clause
#include "stamp_key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace smalld {

bool load_stamp_key(StampSettings& settings, std::string_view path, std::string* error) {
    settings.key_file = path;
    settings.key.clear();
    if (path.empty()) return true;
    std::string name(path);
    int fd = open(name.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    struct stat st {};
    if (fd < 0 || fstat(fd, &st) != 0) {
        *error = "cannot read \"" + name + "\": " + std::strerror(errno);
        if (fd >= 0) close(fd);
        return false;
    }
    std::string problem;
    if (!S_ISREG(st.st_mode))
        problem = "is not a regular file";
    else if (st.st_mode & 077) {
        char mode[8];
        snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
        problem = std::string("has mode ") + mode +
                  "; a key must be readable by its owner only (chmod 600)";
    } else if (st.st_size == 0 || st.st_size > 4096)
        problem = "must hold 1 to 4096 bytes";
    if (problem.empty()) {
        std::string key(size_t(st.st_size), '\0');
        ssize_t n = read(fd, key.data(), key.size());
        if (n != st.st_size)
            problem = "could not be read whole";
        else {
            if (key.back() == '\n') key.pop_back();
            if (key.empty()) problem = "holds only a newline";
            settings.key = std::move(key);
        }
    }
    close(fd);
    if (problem.empty()) return true;
    *error = "\"" + name + "\" " + problem;
    return false;
}

}  // namespace smalld
