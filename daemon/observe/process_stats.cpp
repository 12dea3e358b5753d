// SPDX-License-Identifier: BSD-2-Clause
#include "process_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace smalld {

namespace {

std::string read_small_file(const char* path) {
    std::string text;
    if (FILE* f = fopen(path, "re")) {
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0 && text.size() < 65536) text.append(buf, n);
        fclose(f);
    }
    return text;
}

double boot_time_unix() {
    std::string stat = read_small_file("/proc/stat");
    size_t at = stat.find("\nbtime ");
    return at == std::string::npos ? 0 : strtod(stat.c_str() + at + 7, nullptr);
}

}  // namespace

ProcessStats read_process_stats() {
    ProcessStats out;
    // /proc/self/stat: "pid (comm) state ..."; comm may hold spaces and
    // parentheses, so fields are counted from the last ')'. After it, field 3
    // (state) is the first; utime and stime are 14 and 15, starttime 22, rss 24.
    std::string stat = read_small_file("/proc/self/stat");
    size_t close = stat.rfind(')');
    if (close != std::string::npos) {
        const char* p = stat.c_str() + close + 1;
        double field[25] = {};
        for (int i = 3; i <= 24 && *p; ++i) {
            while (*p == ' ') ++p;
            char* end = nullptr;
            field[i] = strtod(p, &end);
            if (end == p) {  // the state letter
                while (*p && *p != ' ') ++p;
            } else {
                p = end;
            }
        }
        double ticks = double(sysconf(_SC_CLK_TCK));
        if (ticks > 0) {
            out.cpu_seconds = (field[14] + field[15]) / ticks;
            if (double boot = boot_time_unix(); boot > 0)
                out.start_time_unix = boot + field[22] / ticks;
        }
        out.resident_bytes = field[24] * double(sysconf(_SC_PAGESIZE));
    }
    if (DIR* dir = opendir("/proc/self/fd")) {
        int fds = 0;
        while (const dirent* entry = readdir(dir))
            if (entry->d_name[0] != '.') ++fds;
        closedir(dir);
        out.open_fds = fds - 1;  // not the directory's own descriptor
    }
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0)
        out.max_fds = limit.rlim_cur == RLIM_INFINITY ? 0 : double(limit.rlim_cur);
    return out;
}

}  // namespace smalld
