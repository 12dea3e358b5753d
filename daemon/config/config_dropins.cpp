// SPDX-License-Identifier: BSD-2-Clause
// Reading the configuration: the main file, then its drop-in directory
// FILE.d/, whose *.ini files are read in lexical (byte) order, as systemd,
// nginx's conf.d and sudoers.d do. Only regular files of bounded size, as
// for the main file; names starting with a dot (editor and package manager
// debris such as .foo.ini.swp) and names not ending in .ini are skipped.

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "config.h"
#include "regular_file.h"

namespace smalld {

namespace {

// At most this many drop-ins, and this much text in all the files together.
constexpr size_t kMaxDropins = 128;
constexpr size_t kMaxTotalBytes = 4 * kMaxConfigFileBytes;

bool is_dropin_name(const std::string& name) {
    return name.size() > 4 && name.front() != '.' && name.ends_with(".ini");
}

}  // namespace

std::string dropin_dir(const std::string& path) {
    return path + ".d";
}

ConfigResult load_config(const std::string& path) {
    ConfigResult failed;
    std::string reason;
    std::optional<std::string> text = read_regular_file(path, kMaxConfigFileBytes, &reason);
    if (!text) {
        failed.errors.push_back({path, 0, reason});
        return failed;
    }
    std::vector<ConfigText> files{{path, std::move(*text)}};

    std::string dir = dropin_dir(path);
    std::unique_ptr<DIR, int (*)(DIR*)> handle(opendir(dir.c_str()), closedir);
    if (!handle) {
        if (errno != ENOENT) {
            failed.errors.push_back(
                {dir, 0,
                 std::string("cannot read the drop-in directory: ") + std::strerror(errno)});
            return failed;
        }
        return parse_config_files(files);
    }
    std::vector<std::string> names;
    errno = 0;
    while (dirent* entry = readdir(handle.get())) {
        std::string name = entry->d_name;
        if (!is_dropin_name(name)) continue;
        if (names.size() == kMaxDropins) {
            failed.errors.push_back(
                {dir, 0,
                 "more than " + std::to_string(kMaxDropins) + " drop-in files; merge some"});
            return failed;
        }
        names.push_back(std::move(name));
    }
    std::sort(names.begin(), names.end());
    size_t total = files.front().text.size();
    for (const auto& name : names) {
        std::string file = dir + "/" + name;
        std::optional<std::string> dropin = read_regular_file(file, kMaxConfigFileBytes, &reason);
        if (!dropin) {
            failed.errors.push_back({file, 0, reason});
            continue;
        }
        total += dropin->size();
        if (total > kMaxTotalBytes) {
            failed.errors.push_back({file, 0,
                                     "the configuration and its drop-ins hold more than " +
                                         std::to_string(kMaxTotalBytes / (1024 * 1024)) +
                                         " MiB together"});
            return failed;
        }
        files.push_back({std::move(file), std::move(*dropin)});
    }
    if (!failed.errors.empty()) return failed;
    return parse_config_files(files);
}

}  // namespace smalld
