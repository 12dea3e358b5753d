// SPDX-License-Identifier: BSD-2-Clause
#include "regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>

#include "event_handle.h"

namespace smalld {

namespace {

const char* kind_of(mode_t mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a file";
}

std::string describe_size(size_t bytes) {
    if (bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + " MiB";
    if (bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
    return std::to_string(bytes) + " bytes";
}

bool fail(std::string* error, std::string message) {
    *error = std::move(message);
    return false;
}

bool check_stat(const struct stat& st, size_t max_bytes, std::string* error) {
    if (!S_ISREG(st.st_mode))
        return fail(error, std::string("not a regular file (") + kind_of(st.st_mode) + ")");
    if (st.st_size < 0 || static_cast<unsigned long long>(st.st_size) > max_bytes)
        return fail(error, "larger than " + describe_size(max_bytes) + " (" +
                               std::to_string(st.st_size) + " bytes)");
    return true;
}

bool same_version(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
           a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
           a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

// Up to max_bytes + 1 bytes from the start: one byte more tells a file that
// grew past the bound.
bool read_all(int fd, size_t max_bytes, std::string* text, std::string* error) {
    text->clear();
    char buffer[16384];
    for (;;) {
        size_t want = std::min(sizeof buffer, max_bytes + 1 - text->size());
        ssize_t n = pread(fd, buffer, want, static_cast<off_t>(text->size()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(error, std::string("cannot read: ") + strerror(errno));
        if (n == 0) return true;
        text->append(buffer, static_cast<size_t>(n));
        if (text->size() > max_bytes) return fail(error, "larger than " + describe_size(max_bytes));
    }
}

}  // namespace

std::optional<std::string> read_regular_file(const std::string& path, size_t max_bytes,
                                             std::string* error) {
    // stat() first: opening a device can have effects of its own, and opening
    // a FIFO for reading waits for a writer.
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
        *error = std::string("cannot read: ") + strerror(errno);
        return std::nullopt;
    }
    if (!check_stat(st, max_bytes, error)) return std::nullopt;
    // O_NONBLOCK: should the path have become a FIFO since, open() returns at
    // once, and the fstat() below refuses it.
    Fd fd(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!fd) {
        *error = std::string("cannot read: ") + strerror(errno);
        return std::nullopt;
    }
    std::string text;
    for (int attempt = 0; attempt < 2; ++attempt) {
        struct stat before, after;
        if (fstat(fd.get(), &before) != 0) {
            *error = std::string("cannot read: ") + strerror(errno);
            return std::nullopt;
        }
        if (!check_stat(before, max_bytes, error) || !read_all(fd.get(), max_bytes, &text, error))
            return std::nullopt;
        if (fstat(fd.get(), &after) != 0) {
            *error = std::string("cannot read: ") + strerror(errno);
            return std::nullopt;
        }
        if (same_version(before, after) &&
            text.size() == static_cast<unsigned long long>(after.st_size))
            return text;
    }
    *error =
        "changed while being read, twice; it is still being written (write a new file and "
        "rename it into place to replace a file at once)";
    return std::nullopt;
}

}  // namespace smalld
