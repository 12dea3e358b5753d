// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The daemon's log. Lines are queued in memory and written from the event loop,
// so logging never blocks serving. Under systemd (JOURNAL_STREAM matches
// stderr) they are journal entries with fields (log_journal.h), or if journald's
// socket cannot be reached, lines with <N> priority prefixes; otherwise they
// are timestamped.
// A message is always one line of UTF-8: bytes that are not UTF-8 and control
// characters in it show as \xHH, whatever the arguments quote.

#include <chrono>
#include <cstdarg>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keyword.h"

struct event_base;

namespace smalld {

// Values are syslog priorities.
enum class LogLevel { Error = 3, Warning = 4, Notice = 5, Info = 6, Debug = 7 };

const char* to_string(LogLevel level);
// Every level and its name, from the most to the least severe.
std::span<const Keyword<LogLevel>> log_levels();

class LogLimiter;
struct LogFields;

// While a LogContext lives, the lines logged get its journal fields
// (SMALLD_INSTANCE, SMALLD_PEER, ...) when the log goes to the journal.
// Scopes do not nest; the fields must outlive the scope.
class LogContext {
  public:
    explicit LogContext(const LogFields& fields);
    ~LogContext();
    LogContext(const LogContext&) = delete;
    LogContext& operator=(const LogContext&) = delete;
};

namespace log {

// Until attach() the log writes synchronously (start-up, config errors).
void attach(event_base* base);
// Flushes synchronously, for at most a second whatever stderr or journald
// do; false when lines were lost (then lost_at_exit() says so, for the exit
// status). Writes before attach() are bounded the same way.
bool detach();
bool lost_at_exit();
void set_level(LogLevel level);
LogLevel level();
bool enabled(LogLevel level);

void write(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void vwrite(LogLevel level, const char* fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void flush();

// For libevent's log callback, which must not call libevent: the line is only
// queued, and goes out with the next ordinary line or the once-a-second tick.
void write_quiet(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
void vwrite_quiet(LogLevel level, const char* fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

// Lines the log dropped because its queue was full (the writer is stuck).
uint64_t dropped();

// Every LogLimiter, for the tick that summarises windows ended in silence.
std::vector<LogLimiter*>& limiters();

}  // namespace log

// A rate limit for a class of log lines: at most `burst` lines per `window`
// (by default 5 per 10 s, the rate of every line a peer can provoke); the
// rest are counted and summarised as "suppressed N messages".
// Limiters live as long as the process (namespace-scope statics); the log's
// once-a-second tick writes the summary of a window that ended in silence.
class LogLimiter {
  public:
    // A quiet limiter queues through log::vwrite_quiet (libevent's messages).
    LogLimiter(const char* what, unsigned burst = 5,
               std::chrono::milliseconds window = std::chrono::seconds(10), bool quiet = false);
    LogLimiter(const LogLimiter&) = delete;
    LogLimiter& operator=(const LogLimiter&) = delete;
    void write(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
    void vwrite(LogLevel level, const char* fmt, va_list ap) __attribute__((format(printf, 3, 0)));
    // Counts one line against the limit: true when it may be written now
    // (then write it with log::write), false when it is suppressed. A flood
    // then pays nothing to format the arguments of lines nobody sees.
    bool admit(LogLevel level);
    uint64_t suppressed_total() const { return suppressed_total_; }
    // Writes the summary if the window has ended; called by the log's tick.
    void roll(std::chrono::steady_clock::time_point now);

  private:
    const char* what_;
    unsigned burst_;
    std::chrono::milliseconds window_;
    bool quiet_;
    std::chrono::steady_clock::time_point window_start_{};
    unsigned in_window_ = 0;
    uint64_t suppressed_ = 0;
    uint64_t suppressed_total_ = 0;
};

}  // namespace smalld

#define LOG_ERROR(...) ::smalld::log::write(::smalld::LogLevel::Error, __VA_ARGS__)
#define LOG_WARNING(...) ::smalld::log::write(::smalld::LogLevel::Warning, __VA_ARGS__)
#define LOG_NOTICE(...) ::smalld::log::write(::smalld::LogLevel::Notice, __VA_ARGS__)
#define LOG_INFO(...)                                                    \
    do {                                                                 \
        if (::smalld::log::enabled(::smalld::LogLevel::Info))            \
            ::smalld::log::write(::smalld::LogLevel::Info, __VA_ARGS__); \
    } while (0)
#define LOG_DEBUG(...)                                                    \
    do {                                                                  \
        if (::smalld::log::enabled(::smalld::LogLevel::Debug))            \
            ::smalld::log::write(::smalld::LogLevel::Debug, __VA_ARGS__); \
    } while (0)
