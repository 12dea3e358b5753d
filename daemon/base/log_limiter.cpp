// SPDX-License-Identifier: BSD-2-Clause
// LogLimiter: at most `burst` lines a window, then one line saying how many
// were held back. Asking admit() before formatting a line costs a flood
// nothing; every limiter is listed for the log.lines_suppressed_total counter.
#include <cstdarg>
#include <vector>

#include "log.h"

namespace smalld {

namespace log {

std::vector<LogLimiter*>& limiters() {
    static std::vector<LogLimiter*> all;
    return all;
}

}  // namespace log

LogLimiter::LogLimiter(const char* what, unsigned burst, std::chrono::milliseconds window,
                       bool quiet)
    : what_(what), burst_(burst), window_(window), quiet_(quiet) {
    log::limiters().push_back(this);
}

void LogLimiter::roll(std::chrono::steady_clock::time_point now) {
    if (now - window_start_ < window_) return;
    if (suppressed_ > 0) {
        auto n = static_cast<unsigned long long>(suppressed_);
        if (quiet_)
            log::write_quiet(LogLevel::Notice, "%s: suppressed %llu messages", what_, n);
        else
            log::write(LogLevel::Notice, "%s: suppressed %llu messages", what_, n);
    }
    window_start_ = now;
    in_window_ = 0;
    suppressed_ = 0;
}

void LogLimiter::write(LogLevel level, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vwrite(level, fmt, ap);
    va_end(ap);
}

bool LogLimiter::admit(LogLevel level) {
    if (!log::enabled(level)) return false;
    roll(std::chrono::steady_clock::now());
    if (in_window_ >= burst_) {
        ++suppressed_;
        ++suppressed_total_;
        return false;
    }
    ++in_window_;
    return true;
}

void LogLimiter::vwrite(LogLevel level, const char* fmt, va_list ap) {
    if (!admit(level)) return;
    if (quiet_)
        log::vwrite_quiet(level, fmt, ap);
    else
        log::vwrite(level, fmt, ap);
}

}  // namespace smalld
