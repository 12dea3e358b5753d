// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// What a file a configuration key names (a STAMP key_file, a qotd quotes
// file) held when the configuration was read, so that a reload can say the
// file changed even though the key's value did not. A fingerprint holds
// nothing of the content that could be shown: a size, a time and a digest.

#include <array>
#include <cstdint>
#include <string>

namespace smalld {

struct FileFingerprint {
    bool read = false;  // false: the file could not be read (then only that is compared)
    uint64_t size = 0;
    int64_t mtime_ns = 0;  // recorded, not compared: a file touched is not a file changed
    std::array<uint8_t, 32> sha256{};

    // The same content: both unreadable, or the same size and digest. The
    // digest, not the time, decides: a rewrite within one tick of a coarse
    // file-system clock keeps its mtime, and the loaders read the whole file
    // anyway, so hashing it costs little.
    bool same_content(const FileFingerprint& other) const {
        return read == other.read && size == other.size && sha256 == other.sha256;
    }
};

// Reads `path` as read_regular_file() does (a regular file of at most
// kMaxConfigFileBytes, never blocking) and fingerprints it.
FileFingerprint fingerprint_file(const std::string& path);

}  // namespace smalld
