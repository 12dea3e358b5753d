// SPDX-License-Identifier: BSD-2-Clause
#include "file_fingerprint.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include "regular_file.h"

namespace smalld {

FileFingerprint fingerprint_file(const std::string& path) {
    FileFingerprint print;
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return print;
    print.mtime_ns = int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    std::string error;
    std::optional<std::string> content = read_regular_file(path, kMaxConfigFileBytes, &error);
    if (!content) return print;
    unsigned int length = 0;
    if (EVP_Digest(content->data(), content->size(), print.sha256.data(), &length, EVP_sha256(),
                   nullptr) != 1 ||
        length != print.sha256.size())
        return print;
    print.read = true;
    print.size = content->size();
    return print;
}

}  // namespace smalld
