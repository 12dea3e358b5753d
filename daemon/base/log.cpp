// SPDX-License-Identifier: BSD-2-Clause
#include "log.h"

#include <event2/event.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include "contain.h"
#include "event_handle.h"
#include "log_journal.h"
#include "log_output.h"
#include "utf8.h"

namespace smalld {

std::span<const Keyword<LogLevel>> log_levels() {
    static constexpr Keyword<LogLevel> kLevels[] = {{"error", LogLevel::Error},
                                                    {"warning", LogLevel::Warning},
                                                    {"notice", LogLevel::Notice},
                                                    {"info", LogLevel::Info},
                                                    {"debug", LogLevel::Debug}};
    return kLevels;
}

const char* to_string(LogLevel level) {
    return word_of(level, log_levels());
}

namespace log {

namespace {

// Beyond this the writer is stuck (a full pipe nobody reads): drop, count, go on.
constexpr size_t kQueueLimit = 4 << 20;
using output::Clock;
using output::kBlockingLimit;
using output::make_stderr_nonblocking;
using output::wait_writable;
using output::write_stderr_bounded;

struct State {
    LogLevel level = LogLevel::Info;
    bool journal = false;
    bool journal_checked = false;
    std::string queue;
    EventHandle writer;
    EventHandle ticker;  // rolls the windows of the LogLimiters
    bool waiting_for_fd = false;
    bool scheduled = false;  // the writer event is active
    uint64_t dropped = 0;
    journal::Writer native;  // open when stderr is the journal and journald answers
    EventHandle native_writer;
    bool native_waiting = false;
    const LogFields* fields = nullptr;  // the LogContext in scope
    bool lost_at_exit = false;
} state;

bool stderr_is_journal() {
    const char* env = getenv("JOURNAL_STREAM");
    if (!env) return false;
    unsigned long long dev = 0, ino = 0;
    if (sscanf(env, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st;
    return fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

void check_journal() {
    if (state.journal_checked) return;
    state.journal = stderr_is_journal();
    state.journal_checked = true;
    if (state.journal) state.native.open();
}

__attribute__((format(printf, 3, 0))) void format_line(std::string& out, LogLevel level,
                                                       const char* fmt, va_list ap) {
    check_journal();
    char prefix[64];
    if (state.journal) {
        snprintf(prefix, sizeof prefix, "<%d>", static_cast<int>(level));
    } else {
        timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        tm utc;
        gmtime_r(&ts.tv_sec, &utc);
        size_t n = strftime(prefix, sizeof prefix, "%Y-%m-%dT%H:%M:%S", &utc);
        snprintf(prefix + n, sizeof prefix - n, ".%03ldZ %s: ", ts.tv_nsec / 1000000,
                 to_string(level));
    }
    out += prefix;
    char body[1024];
    int len = vsnprintf(body, sizeof body, fmt, ap);
    if (len < 0) len = 0;
    // Arguments may quote anything (a config value, a path): one line of
    // UTF-8 per message, for journald and terminals alike.
    append_unprintable(out, {body, std::min<size_t>(static_cast<size_t>(len), sizeof body - 1)});
    out += '\n';
}

// Only at start-up and shutdown, when nothing else runs; bounded by the
// deadline. False when some of the text was not written.
bool write_all_bounded(std::string_view text, Clock::time_point deadline) {
    size_t lost = write_stderr_bounded(text, deadline);
    state.dropped += lost;
    return lost == 0;
}

// Sends queued journal entries; on a full socket, waits for it in the loop.
// If journald has gone, the rest of the log goes to stderr.
void flush_journal() {
    if (!state.native.is_open() || state.native.empty() || state.native_waiting) return;
    uint64_t lost = 0;
    auto result = state.native.flush(&lost);
    state.dropped += lost;
    if (result == journal::Writer::Result::Busy && state.native_writer) {
        state.native_waiting = true;
        event_add(state.native_writer.get(), nullptr);
    } else if (result == journal::Writer::Result::Failed) {
        state.native_writer.reset();
        state.native = journal::Writer{};
    }
}

// Start-up and shutdown only; false when entries were left unsent.
bool flush_journal_bounded(Clock::time_point deadline) {
    while (state.native.is_open() && !state.native.empty()) {
        flush_journal();
        if (state.native.is_open() && !state.native.empty() &&
            !wait_writable(state.native.fd(), deadline))
            return false;
    }
    return true;
}

void on_native_writable(evutil_socket_t, short, void*) {
    state.native_waiting = false;
    flush_journal();
}

void on_tick(evutil_socket_t, short, void*) {
    contain("log", [] {
        auto now = std::chrono::steady_clock::now();
        for (LogLimiter* limiter : limiters()) limiter->roll(now);
        // Lines queued quietly (libevent's) while nothing else was logged.
        if (!state.queue.empty() && !state.scheduled && !state.waiting_for_fd) flush();
        if (!state.scheduled) flush_journal();
    });
}

void on_writable(evutil_socket_t, short, void*) {
    state.waiting_for_fd = false;
    state.scheduled = false;
    contain("log", [] { flush(); });
}

// Appends a line to the queue; false when there is no queue yet (start-up).
// A journal entry with the fields of the LogContext in scope.
__attribute__((format(printf, 2, 0))) bool enqueue_journal(LogLevel level, const char* fmt,
                                                           va_list ap) {
    char body[1024];
    int len = vsnprintf(body, sizeof body, fmt, ap);
    if (len < 0) len = 0;
    std::string message;  // one line of UTF-8, as on stderr
    append_unprintable(message,
                       {body, std::min<size_t>(static_cast<size_t>(len), sizeof body - 1)});
    static const LogFields none;
    std::string entry =
        journal::format_entry(static_cast<int>(level), message, program_invocation_short_name,
                              state.fields ? *state.fields : none);
    if (!state.native.enqueue(std::move(entry))) {
        ++state.dropped;
        return false;
    }
    if (!state.writer) {
        flush_journal_bounded(Clock::now() + kBlockingLimit);
        return false;
    }
    return true;
}

__attribute__((format(printf, 2, 0))) bool enqueue(LogLevel level, const char* fmt, va_list ap) {
    check_journal();
    if (state.native.is_open()) return enqueue_journal(level, fmt, ap);
    if (!state.writer) {
        std::string line;
        format_line(line, level, fmt, ap);
        write_all_bounded(line, Clock::now() + kBlockingLimit);
        return false;
    }
    if (state.queue.size() > kQueueLimit) {
        ++state.dropped;
        return false;
    }
    format_line(state.queue, level, fmt, ap);
    return true;
}

}  // namespace

void attach(event_base* base) {
    make_stderr_nonblocking();
    state.writer.reset(event_new(base, STDERR_FILENO, EV_WRITE, on_writable, nullptr));
    check_journal();
    if (state.native.is_open())
        state.native_writer.reset(
            event_new(base, state.native.fd(), EV_WRITE, on_native_writable, nullptr));
    state.ticker.reset(event_new(base, -1, EV_PERSIST, on_tick, nullptr));
    static constexpr timeval kTick = {1, 0};
    event_add(state.ticker.get(), &kTick);
}

bool detach() {
    state.ticker.reset();
    state.writer.reset();
    state.native_writer.reset();
    state.native_waiting = false;
    // One deadline for the whole final flush, whatever stderr and journald do.
    auto deadline = Clock::now() + kBlockingLimit;
    uint64_t before = state.dropped;
    bool complete = flush_journal_bounded(deadline);
    if (!complete) {
        uint64_t lost = 0;
        state.native.drop_all(&lost);
        state.dropped += lost;
    }
    state.waiting_for_fd = false;
    state.scheduled = false;
    if (!write_all_bounded(state.queue, deadline)) complete = false;
    state.queue.clear();
    if (state.dropped != before) complete = false;
    if (!complete) state.lost_at_exit = true;
    return complete;
}

bool lost_at_exit() {
    return state.lost_at_exit;
}

void set_level(LogLevel level) {
    state.level = level;
}
LogLevel level() {
    return state.level;
}
bool enabled(LogLevel level) {
    return static_cast<int>(level) <= static_cast<int>(state.level);
}
uint64_t dropped() {
    return state.dropped;
}

void vwrite(LogLevel level, const char* fmt, va_list ap) {
    if (!enabled(level) || !enqueue(level, fmt, ap)) return;
    // Every line logged in one loop iteration goes out in one write, after the
    // callbacks that produced them.
    if (!state.scheduled && !state.waiting_for_fd) {
        state.scheduled = true;
        event_active(state.writer.get(), EV_WRITE, 1);
    }
}

void vwrite_quiet(LogLevel level, const char* fmt, va_list ap) {
    if (enabled(level)) enqueue(level, fmt, ap);
}

void write_quiet(LogLevel level, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vwrite_quiet(level, fmt, ap);
    va_end(ap);
}

void write(LogLevel level, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vwrite(level, fmt, ap);
    va_end(ap);
}

void flush() {
    flush_journal();
    while (!state.queue.empty()) {
        ssize_t n = ::write(STDERR_FILENO, state.queue.data(), state.queue.size());
        if (n > 0) {
            state.queue.erase(0, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN && state.writer) {
            state.waiting_for_fd = true;
            event_add(state.writer.get(), nullptr);
            return;
        }
        // stderr is gone: nothing to tell anybody.
        state.dropped += 1;
        state.queue.clear();
        return;
    }
    if (state.queue.capacity() > 65536) state.queue.shrink_to_fit();
}

}  // namespace log

LogContext::LogContext(const LogFields& fields) {
    log::state.fields = &fields;
}
LogContext::~LogContext() {
    log::state.fields = nullptr;
}

}  // namespace smalld
