// SPDX-License-Identifier: BSD-2-Clause
#include "procstat.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace smallprobe {
namespace {

std::optional<std::string> read_small_file(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "re");
    if (!f) return std::nullopt;
    char buffer[4096];
    size_t n = std::fread(buffer, 1, sizeof buffer - 1, f);
    std::fclose(f);
    return std::string(buffer, n);
}

uint64_t timeval_ns(const timeval& tv) {
    return static_cast<uint64_t>(tv.tv_sec) * 1000000000ull +
           static_cast<uint64_t>(tv.tv_usec) * 1000ull;
}

}  // namespace

std::optional<uint64_t> process_cpu_ns(int pid) {
    auto text = read_small_file("/proc/" + std::to_string(pid) + "/stat");
    if (!text) return std::nullopt;
    // The command name (field 2) may contain spaces and parentheses; the
    // fields after the last ')' are unambiguous. utime and stime are fields
    // 14 and 15, i.e. the 12th and 13th after the state field.
    size_t close = text->rfind(')');
    if (close == std::string::npos) return std::nullopt;
    unsigned long long utime = 0, stime = 0;
    if (std::sscanf(text->c_str() + close + 1,
                    " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
        return std::nullopt;
    const long ticks = sysconf(_SC_CLK_TCK);
    return (utime + stime) *
           (1000000000ull / static_cast<unsigned long long>(ticks > 0 ? ticks : 100));
}

std::optional<uint64_t> process_rss_kb(int pid) {
    auto text = read_small_file("/proc/" + std::to_string(pid) + "/status");
    if (!text) return std::nullopt;
    const char* line = std::strstr(text->c_str(), "VmRSS:");
    unsigned long long kb = 0;
    if (!line || std::sscanf(line, "VmRSS: %llu", &kb) != 1) return std::nullopt;
    return kb;
}

uint64_t self_cpu_ns() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return timeval_ns(usage.ru_utime) + timeval_ns(usage.ru_stime);
}

}  // namespace smallprobe
