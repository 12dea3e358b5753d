// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// A TCP session: one socket, the loop's shared read buffer (IoBuffers), and
// an output queue that exists only while the peer is slower than we are. One
// embedded event (no allocation of its own) whose flags follow what the
// session waits for; writing is waited for only after EAGAIN. Idle sessions
// are small: no buffer, no second event, no cached copies of what can be
// recomputed. Sessions live in a slab pool, linked into their table, so
// opening and closing one allocates nothing. A one-shot reply (time,
// daytime, qotd, status) costs accept4, one send, one read that drains what
// the peer sent, and close. Every way a session ends goes through
// SessionTable::close() with a reason.

#include <event2/event_struct.h>
#include <netinet/in.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "address.h"
#include "chunk_queue.h"
#include "event_handle.h"
#include "instance.h"
#include "io_buffers.h"
#include "slab_pool.h"

namespace smalld {

class SessionTable;

class Session {
  public:
    enum class State {
        Open,       // serving
        Flushing,   // writing what is queued, then closing (message sent, shutdown, EOF)
        Lingering,  // reply sent and write side shut; discarding input until EOF
    };

    // `local`: the listener's own address when it is not a wildcard, else
    // nullptr (local() then asks the kernel, when someone wants to know).
    Session(SessionTable& table, uint64_t id, std::shared_ptr<Instance> instance, int fd,
            const SockAddr& peer, const SockAddr* local);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void start();
    // Shutdown: flush what is queued (not chargen's endless stream), then close.
    void finish();

    uint64_t id() const { return id_; }
    int fd() const { return fd_; }
    const Instance& instance() const { return *instance_; }
    SockAddr peer() const;
    SockAddr local() const;
    SourceKey source() const { return source_key(peer()); }
    int64_t opened_ms() const { return opened_ms_; }
    int64_t active_ms() const { return active_ms_; }
    uint64_t bytes_in() const { return bytes_in_; }
    uint64_t bytes_out() const { return bytes_out_; }
    size_t queued() const { return out_.size(); }
    State state() const { return state_; }

  private:
    friend class SessionTable;  // the links
    static void on_event_cb(evutil_socket_t, short what, void* self);
    void on_read();
    void on_write();
    void echo(const char* data, size_t len);
    // Sends from the queue; false when the session was closed.
    bool flush_queue();
    void generate();
    void message_done();
    bool send_error(const char* what);
    void pause_reading(bool pause);
    void want_write(bool want);
    void update_event();
    void enqueue(const char* data, size_t len);
    void close(const char* reason);

    SessionTable& table_;
    Session* prev_ = nullptr;  // in the table's list
    Session* next_ = nullptr;
    uint64_t id_;
    std::shared_ptr<Instance> instance_;
    int fd_;
    sockaddr_in6 peer_{};   // fits IPv4 too; a full sockaddr_storage would double the session
    sockaddr_in6 local_{};  // AF_UNSPEC: not known without getsockname()
    State state_ = State::Open;
    bool reading_ = false;
    bool writing_ = false;
    short armed_ = 0;  // the flags the event is added with
    int64_t opened_ms_;
    int64_t active_ms_;
    uint64_t bytes_in_ = 0;
    uint64_t bytes_out_ = 0;
    ChunkQueue out_;  // bytes the peer has not taken, at most high_water (or one message)
    struct event event_;
};

// Owns every session (in a slab pool, on one list), sweeps timeouts, and is
// the one place where sessions end.
class SessionTable {
  public:
    using CloseHook = std::function<void(const Session&, const char* reason)>;

    SessionTable(event_base* base, Stats& stats, IoBuffers& buffers);
    ~SessionTable();

    // Takes `fd` and starts the session (which may end at once: a one-shot
    // reply). False, with `fd` left to the caller, only when there is no
    // memory for the session.
    bool open(std::shared_ptr<Instance> instance, int fd, const SockAddr& peer,
              const SockAddr* local);
    void close(Session& session, const char* reason);
    // Linear: for `conn kill`, not for a hot path.
    bool kill(uint64_t id);
    // Shutdown: every session flushes and closes; returns when none is left.
    void finish_all();
    void close_all(const char* reason);
    size_t size() const { return count_; }
    template <typename F>
    void for_each(F&& f) const {
        for (const Session* s = head_; s; s = s->next_) f(*s);
    }

    event_base* base() const { return base_; }
    Stats& stats() { return stats_; }
    IoBuffers& buffers() { return buffers_; }
    const SlabPool& pool() const { return pool_; }
    bool log_connections = true;
    // output_buffer: the most an echo session queues. A session reads no more
    // than it has room to queue, and stops reading when the queue is full.
    size_t high_water = 64 * 1024;
    // Called when a session opens and after it closed, for logs and monitors.
    std::function<void(const Session&)> on_open;
    CloseHook on_close;

    // While a session's callback runs: whether the session was closed in
    // it (its memory may then already serve another).
    class Watch {
      public:
        Watch(SessionTable& table, const Session* session);
        ~Watch();
        bool closed() const { return table_.watched_closed_; }

      private:
        SessionTable& table_;
        const Session* previous_;
        bool previous_closed_;
    };

  private:
    static void on_sweep_cb(evutil_socket_t, short, void* self);
    void sweep();

    event_base* base_;
    Stats& stats_;
    IoBuffers& buffers_;
    uint64_t next_id_ = 1;
    SlabPool pool_{sizeof(Session)};
    Session* head_ = nullptr;
    size_t count_ = 0;
    const Session* watched_ = nullptr;
    bool watched_closed_ = false;
    EventHandle sweeper_;
};

}  // namespace smalld
