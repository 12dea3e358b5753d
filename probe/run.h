// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The scaffolding every mode shares: the epoll set, the clock that ends the
// run, the once-a-second progress line and first-error messages.

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <string>

#include "net.h"
#include "options.h"
#include "result.h"

namespace smallprobe {

// Anything registered with the poller; epoll's data.ptr points at one.
class PollHandler {
  public:
    virtual void on_event(uint32_t events, uint64_t now) = 0;

  protected:
    ~PollHandler() = default;
};

class Run {
  public:
    Run(const Options& options, const Endpoint& target, Result* result);
    ~Run();
    Run(const Run&) = delete;
    Run& operator=(const Run&) = delete;

    const Options& options() const { return options_; }
    const Endpoint& target() const { return target_; }
    Result& result() { return *result_; }

    void watch(int fd, uint32_t events, PollHandler* handler);
    void rewatch(int fd, uint32_t events, PollHandler* handler);
    void unwatch(int fd);

    // Waits at most timeout_ms and dispatches what is ready. Returns the time
    // after dispatching.
    uint64_t poll_once(int timeout_ms);

    // Starts the clock; measurements before this are not counted.
    void start(uint64_t now);
    uint64_t started() const { return start_ns_; }
    // True once the duration is over, -n is satisfied, or the user pressed ^C.
    bool finished(uint64_t now) const;
    // Milliseconds until the deadline (capped), for epoll_wait.
    int wait_budget_ms(uint64_t now, int cap_ms) const;
    // Marks the end of measurement and freezes elapsed time.
    void stop(uint64_t now);

    // The loop every closed-loop mode runs: poll (at most period_ms at a
    // time) and tick until the run is finished, calling scan(now) every
    // period_ms for timeouts and retries; scan returns false to end the run
    // early (nothing is left to wait for). Then stops the clock.
    void until_done(uint64_t now, int period_ms, const std::function<bool(uint64_t)>& scan);

    // Progress on a terminal, once a second; a no-op otherwise.
    void tick(uint64_t now);

    // Counts an error by errno and prints the first of each kind.
    void connection_error(int err);
    void timeout_error();
    void bad_reply(const std::string& what);
    void unexpected_eof();

  private:
    void note_once(bool* shown, const std::string& message);

    const Options& options_;
    Endpoint target_;
    Result* result_;
    int epoll_fd_ = -1;
    uint64_t start_ns_ = 0;
    uint64_t deadline_ns_ = UINT64_MAX;
    uint64_t next_tick_ns_ = 0;
    uint64_t last_ops_ = 0;
    uint64_t last_bytes_ = 0;
    bool progress_ = false;
    bool shown_refused_ = false, shown_reset_ = false, shown_timeout_ = false;
    bool shown_bad_reply_ = false, shown_eof_ = false, shown_other_ = false;
};

// Set by SIGINT/SIGTERM; every loop checks it through Run::finished().
void install_stop_signals();
bool stop_requested();

}  // namespace smallprobe
