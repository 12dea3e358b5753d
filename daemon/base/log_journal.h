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
    std::string_view instance;    // SMALLD_INSTANCE
    std::string_view peer;        // SMALLD_PEER, ADDRESS:PORT
    uint64_t session = 0;         // SMALLD_SESSION, 0 = none
    std::string_view reason;      // SMALLD_REASON
    std::string_view message_id;  // MESSAGE_ID, one of journal::message_id
};

namespace journal {

// MESSAGE_ID of each kind of entry a query picks out (`journalctl
// MESSAGE_ID=...`): fixed 128-bit ids, never reused for another kind,
// listed in smalld(8). Other lines have none.
namespace message_id {
inline constexpr std::string_view kStarted = "b80462ee9e3e4ff1be6beffed52205da";  // ready
inline constexpr std::string_view kStopped = "6f93752231de499a8b5b35170391c681";
inline constexpr std::string_view kReloaded = "b2f54df32547498baa606fda6445d168";
inline constexpr std::string_view kReloadFailed = "855985780ad24377862e76226007a7f7";
inline constexpr std::string_view kRefused = "8b589c4ff1414b2596d3850d94ab1c3d";
}  // namespace message_id

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
