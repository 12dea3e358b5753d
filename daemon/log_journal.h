// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Log lines as journal entries with smalld's own fields, for when stderr is
// the journal (JOURNAL_STREAM). The entries are what sd_journal_send(3)
// sends, in the journal's native protocol (systemd.io/JOURNAL_NATIVE_PROTOCOL),
// over our own non-blocking socket: libsystemd's socket is private and
// blocking, so a stalled journald would stop the event loop. A full socket
// keeps entries queued (bounded); what overflows is dropped and counted.

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "event_handle.h"

namespace smalld {

// Journal fields of a line; empty ones are left out.
struct LogFields {
    std::string_view instance;  // SMALLD_INSTANCE
    std::string_view peer;      // SMALLD_PEER, ADDRESS:PORT
    uint64_t session = 0;       // SMALLD_SESSION, 0 = none
    std::string_view reason;    // SMALLD_REASON
};

namespace journal {

// One datagram: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER and the fields that apply.
std::string format_entry(int priority, std::string_view message, std::string_view identifier,
                         const LogFields& fields);

class Writer {
  public:
    // Connects a non-blocking datagram socket to journald; false if there is none.
    bool open(const char* path = "/run/systemd/journal/socket");
    bool is_open() const { return bool(fd_); }
    int fd() const { return fd_.get(); }
    // Queues an entry; false when the queue is over its limit (the caller counts).
    bool enqueue(std::string entry);
    enum class Result { Done, Busy, Failed };
    // Sends queued entries until done or the socket is full (Busy). Failed:
    // journald is gone; the queue is cleared and `lost` says how many went.
    Result flush(uint64_t* lost);
    bool empty() const { return queue_.empty(); }
    // Gives up on what is queued (journald stuck at exit); `lost` counts it.
    void drop_all(uint64_t* lost);

  private:
    Fd fd_;
    std::deque<std::string> queue_;
    size_t bytes_ = 0;
};

}  // namespace journal
}  // namespace smalld
