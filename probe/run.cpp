// SPDX-License-Identifier: BSD-2-Clause
#include "run.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "clock.h"
#include "units.h"

namespace smallprobe {
namespace {

volatile sig_atomic_t g_stop = 0;

void on_stop_signal(int) {
    g_stop = 1;
}

constexpr int kMaxEvents = 256;

// Adds (EPOLL_CTL_ADD) or changes (EPOLL_CTL_MOD) what epoll_fd waits for on
// fd, and who is called for it.
void epoll_set(int epoll_fd, int op, int fd, uint32_t events, PollHandler* handler) {
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = handler;
    epoll_ctl(epoll_fd, op, fd, &ev);
}

}  // namespace

void install_stop_signals() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);  // no SA_RESTART: epoll_wait returns EINTR
    sigaction(SIGTERM, &action, nullptr);
    signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() {
    return g_stop != 0;
}

Run::Run(const Options& options, const Endpoint& target, Result* result)
    : options_(options), target_(target), result_(result) {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd_ < 0) {
        std::perror("smallprobe: epoll_create1");
        std::exit(1);
    }
    progress_ = isatty(STDERR_FILENO) != 0;
}

Run::~Run() {
    if (progress_ && next_tick_ns_ != 0) std::fputs("\r\033[K", stderr);
    close(epoll_fd_);
}

void Run::watch(int fd, uint32_t events, PollHandler* handler) {
    epoll_set(epoll_fd_, EPOLL_CTL_ADD, fd, events, handler);
}

void Run::rewatch(int fd, uint32_t events, PollHandler* handler) {
    epoll_set(epoll_fd_, EPOLL_CTL_MOD, fd, events, handler);
}

void Run::unwatch(int fd) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

uint64_t Run::poll_once(int timeout_ms) {
    epoll_event events[kMaxEvents];
    int ready = epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
    uint64_t now = now_ns();
    for (int i = 0; i < ready; ++i) {
        static_cast<PollHandler*>(events[i].data.ptr)->on_event(events[i].events, now);
    }
    return ready > 0 ? now_ns() : now;
}

void Run::start(uint64_t now) {
    start_ns_ = now;
    if (options_.duration_ns) deadline_ns_ = now + options_.duration_ns;
    next_tick_ns_ = now + kNsPerSec;
}

bool Run::finished(uint64_t now) const {
    if (g_stop) return true;
    if (now >= deadline_ns_) return true;
    return options_.count != 0 && result_->ops >= options_.count;
}

int Run::wait_budget_ms(uint64_t now, int cap_ms) const {
    if (deadline_ns_ == UINT64_MAX) return cap_ms;
    if (now >= deadline_ns_) return 0;
    uint64_t ms = (deadline_ns_ - now + kNsPerMs - 1) / kNsPerMs;
    return static_cast<int>(std::min<uint64_t>(ms, static_cast<uint64_t>(cap_ms)));
}

void Run::stop(uint64_t now) {
    result_->elapsed_ns = now - start_ns_;
}

void Run::until_done(uint64_t now, int period_ms, const std::function<bool(uint64_t)>& scan) {
    const uint64_t period_ns = static_cast<uint64_t>(period_ms) * kNsPerMs;
    uint64_t next_scan = now + period_ns;
    while (!finished(now)) {
        now = poll_once(wait_budget_ms(now, period_ms));
        tick(now);
        if (now < next_scan) continue;
        next_scan = now + period_ns;
        if (!scan(now)) break;
    }
    stop(now);
}

void Run::tick(uint64_t now) {
    if (!progress_ || now < next_tick_ns_) return;
    const Result& r = *result_;
    const uint64_t bytes = r.bytes_sent + r.bytes_received;
    std::fprintf(stderr, "\r\033[K[%3llus] %llu ops/s  %s  p99 %.1f us  errors %llu",
                 static_cast<unsigned long long>((now - start_ns_) / kNsPerSec),
                 static_cast<unsigned long long>(r.ops - last_ops_),
                 smalld::units::bit_rate(static_cast<double>(bytes - last_bytes_)).c_str(),
                 static_cast<double>(r.latency.percentile(99)) / 1e3,
                 static_cast<unsigned long long>(r.errors.total()));
    last_ops_ = r.ops;
    last_bytes_ = bytes;
    next_tick_ns_ += kNsPerSec;
    if (next_tick_ns_ <= now) next_tick_ns_ = now + kNsPerSec;
}

void Run::note_once(bool* shown, const std::string& message) {
    if (*shown) return;
    *shown = true;
    if (progress_) std::fputs("\r\033[K", stderr);
    std::fprintf(stderr, "smallprobe: %s: %s\n", options_.target.c_str(), message.c_str());
}

void Run::connection_error(int err) {
    ErrorCounts& e = result_->errors;
    switch (err) {
        case ECONNREFUSED:
            ++e.refused;
            note_once(&shown_refused_, describe_error(err));
            break;
        case ECONNRESET:
        case EPIPE:
            ++e.reset;
            note_once(&shown_reset_, describe_error(err));
            break;
        case ETIMEDOUT:
            ++e.timeout;
            note_once(&shown_timeout_, describe_error(err));
            break;
        default:
            ++e.other;
            note_once(&shown_other_, describe_error(err));
            break;
    }
}

void Run::timeout_error() {
    ++result_->errors.timeout;
    note_once(&shown_timeout_, "no reply within the timeout (-w)");
}

void Run::bad_reply(const std::string& what) {
    ++result_->errors.bad_reply;
    note_once(&shown_bad_reply_, what);
}

void Run::unexpected_eof() {
    ++result_->errors.closed;
    note_once(&shown_eof_, "connection closed by the server");
}

}  // namespace smallprobe
