// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// One connection of a stream endpoint that is not a service (a control
// client, an HTTP connection), and the table that owns an endpoint's
// connections. The connection holds what every such endpoint needs: the
// socket, its read, write and deadline events, an output queue (chunk_queue.h:
// only what the peer still owes to take, given back chunk by chunk) with its
// send loop, and the one close path, with a reason. What is read and how it
// is framed, how much may queue, and which deadline applies are the
// endpoint's: a subclass says what happens when the socket is readable or
// writable and when the deadline passes, and what closing it undoes.
//
// Every callback runs through contain(): a throw while serving one
// connection closes that one ("internal error"), never the daemon. A closed
// connection is freed by its table's reaper after the callback that closed
// it has returned.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "chunk_queue.h"
#include "contain.h"
#include "event_handle.h"

namespace smalld {

class StreamConnection {
  public:
    virtual ~StreamConnection();
    StreamConnection(const StreamConnection&) = delete;
    StreamConnection& operator=(const StreamConnection&) = delete;

    uint64_t id() const { return id_; }
    int fd() const { return fd_.get(); }
    bool dead() const { return dead_; }
    // Bytes queued that the kernel has not taken yet.
    size_t queued() const { return out_.size(); }
    // Bytes handed to the kernel since the connection opened.
    uint64_t sent() const { return sent_; }

    // Reads what has come into `buf`: the byte count, 0 at the peer's EOF,
    // or -1 when nothing is there (or on an error, which closes it).
    ssize_t receive(char* buf, size_t len);
    void append(std::string_view bytes);
    // Sends what is queued until the kernel takes no more; false when a
    // send error closed the connection.
    bool flush();
    void reading(bool on);
    void writing(bool on);
    // The deadline: on_deadline() in `ms` (replacing one armed before).
    void arm(int64_t ms);
    void disarm();
    // The one way a connection ends: on_close(reason), then its events and
    // socket go; the table frees it.
    void close(const char* reason);

  protected:
    StreamConnection() = default;
    virtual void on_readable() = 0;
    virtual void on_writable() = 0;
    virtual void on_deadline() = 0;
    // Logs why, and undoes the endpoint's own counts.
    virtual void on_close(const char* reason) = 0;

  private:
    template <class C>
    friend class StreamTable;
    // Takes `fd` and starts reading; `where` names the endpoint in contain().
    void open(event_base* base, int fd, uint64_t id, event* reaper, const char* where);
    static void on_read_cb(evutil_socket_t, short, void* self);
    static void on_write_cb(evutil_socket_t, short, void* self);
    static void on_deadline_cb(evutil_socket_t, short, void* self);

    uint64_t id_ = 0;
    Fd fd_;
    bool dead_ = false;
    const char* where_ = "";
    uint64_t sent_ = 0;
    ChunkQueue out_;
    event* reaper_ = nullptr;
    EventHandle read_ev_;
    EventHandle write_ev_;
    EventHandle deadline_ev_;
};

// A connection served by `Owner`: its events go to the owner's read_ready,
// write_ready, timed_out and closed, each taking the connection as `Self&`
// (the owner may keep them private and befriend this class).
template <class Owner, class Self>
class ServedConnection : public StreamConnection {
  public:
    explicit ServedConnection(Owner& owner) : server(owner) {}
    Owner& server;

  private:
    Self& self() { return static_cast<Self&>(*this); }
    void on_readable() final { server.read_ready(self()); }
    void on_writable() final { server.write_ready(self()); }
    void on_deadline() final { server.timed_out(self()); }
    void on_close(const char* reason) final { server.closed(self(), reason); }
};

// An endpoint's connections, by id (the order they came in), and their reaper.
template <class C>
class StreamTable {
  public:
    StreamTable() = default;
    ~StreamTable() { clear(); }
    StreamTable(const StreamTable&) = delete;
    StreamTable& operator=(const StreamTable&) = delete;

    // `where` names the endpoint in contain(); `reaped` runs after each reap.
    void start(event_base* base, const char* where, std::function<void()> reaped = nullptr) {
        base_ = base;
        where_ = where;
        reaped_ = std::move(reaped);
        reaper_.reset(event_new(base, -1, 0, on_reap_cb, this));
    }
    // Takes the connection and `fd`, gives it an id and starts reading.
    C& add(std::unique_ptr<C> connection, int fd) {
        C& c = *connection;
        uint64_t id = next_id_++;
        c.open(base_, fd, id, reaper_.get(), where_);
        connections_.emplace(id, std::move(connection));
        return c;
    }
    // Open and not yet reaped.
    size_t size() const { return connections_.size(); }
    // Open and not closed.
    size_t live() const {
        size_t n = 0;
        for (const auto& [id, c] : connections_) n += !c->dead();
        return n;
    }
    C* find(uint64_t id) {
        auto it = connections_.find(id);
        return it == connections_.end() || it->second->dead() ? nullptr : it->second.get();
    }
    C& at(uint64_t id) { return *connections_.at(id); }
    auto begin() { return connections_.begin(); }
    auto end() { return connections_.end(); }
    auto begin() const { return connections_.begin(); }
    auto end() const { return connections_.end(); }
    void clear() { connections_.clear(); }

  private:
    static void on_reap_cb(evutil_socket_t, short, void* self) {
        auto* table = static_cast<StreamTable*>(self);
        contain(table->where_, [&] {
            std::erase_if(table->connections_,
                          [](const auto& entry) { return entry.second->dead(); });
            if (table->reaped_) table->reaped_();
        });
    }

    const char* where_ = "";
    event_base* base_ = nullptr;
    uint64_t next_id_ = 1;
    std::map<uint64_t, std::unique_ptr<C>> connections_;
    std::function<void()> reaped_;
    EventHandle reaper_;
};

}  // namespace smalld
