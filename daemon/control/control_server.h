// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The control socket: an AF_UNIX stream socket that speaks one request per
// line and one JSON reply per line. Clients are non-blocking and bounded: a
// client that does not read its replies stops being read, a monitor that does
// not keep up loses events (counted), a half-sent line times out, and so does
// a client that stays silent; the last slots are kept for admin peers. A
// newcomer at a cap closes the client that has sent least of its request for
// longest (eviction.h) rather than be refused, so a flood of slow or silent
// clients from any number of users never locks out `smallctl status`; and a
// monitor that takes none of its output for DrainWatch::kStallMs is closed.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "acceptor.h"
#include "control_protocol.h"
#include "control_request.h"
#include "control_socket_file.h"
#include "event_bus.h"
#include "event_handle.h"
#include "stream_connection.h"

namespace smalld {

class Daemon;
struct StartError;

class ControlServer {
  public:
    explicit ControlServer(Daemon& daemon);
    ~ControlServer();  // closes every client and unlinks the socket
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    // Creates, binds and listens at config().control.socket.
    std::optional<StartError> start();

    const std::string& path() const { return file_.path(); }
    size_t clients() const;

    // Limits; tests may lower them.
    static constexpr size_t kMaxClients = 128;
    static constexpr size_t kMaxQueued = 1 << 20;           // replies: stop reading beyond
    static constexpr size_t kMaxMonitorQueued = 256 << 10;  // events: drop beyond
    static constexpr size_t kAdminReserved = 8;  // of kMaxClients, for uid 0 and the daemon's uid
    // Read-only peers: one user may not take every slot (eight are needed to
    // fill them), and monitors, which no idle timeout closes, are few. Admin
    // peers are not counted. A newcomer beyond makes room among its own
    // user's clients.
    static constexpr size_t kMaxClientsPerUid = 16;
    static constexpr size_t kMaxReadOnlyMonitors = 16;
    static constexpr size_t kMaxReadOnlyMonitorsPerUid = 4;
    // A monitor with less room than this in its queue counts as full.
    static constexpr size_t kEventRoom = 4096;
    static constexpr int kPartialLineTimeoutMs = 10'000;
    static constexpr int kIdleTimeoutMs = 60'000;  // not for monitors
    // An empty line to every monitor this often, so that a client can tell
    // a quiet daemon from a dead one (smallctl gives up after 60 s of silence).
    static constexpr int kMonitorKeepAliveMs = control_protocol::kMonitorKeepAliveMs;

  private:
    struct Client;
    template <class, class>
    friend class ServedConnection;

    static void on_keep_alive_cb(evutil_socket_t, short, void* self);

    void admit(int fd);
    void read_ready(Client& c);
    void write_ready(Client& c);
    void timed_out(Client& c);
    // Frames and runs what the client sent, as far as its output queue allows.
    void process(Client& c);
    void execute(Client& c, std::string_view line);
    void queue(Client& c, const std::string& line);
    bool flush(Client& c);
    void update_events(Client& c);
    void update_timer(Client& c);
    void broadcast(const std::string& line);
    // The monitors, together one subscriber of the daemon's event bus:
    // whether some monitor can take an event, and counting one lost for each
    // when none can (the event is then not built).
    bool monitor_room() const;
    void monitors_lost();
    // Read-only clients (or monitors) of `uid`, and in all when uid is -1.
    size_t read_only(uid_t uid, bool monitors) const;
    // Makes room for `newcomer`: closes the victim among the clients waiting
    // for a request that it may displace (of its own uid when `same_uid`;
    // never an admin's for a read-only newcomer). False when there is none.
    bool evict(const Client& newcomer, bool same_uid);
    // What a client's close (StreamConnection::close) undoes: logged with
    // the reason.
    void closed(Client& c, const char* reason);

    Daemon& daemon_;
    ControlSocketFile file_;
    Fd fd_;
    Acceptor acceptor_;
    EventHandle keep_alive_;  // pending while monitors_ > 0
    StreamTable<Client> clients_;
    size_t monitors_ = 0;
    EventBus::Subscription monitoring_;  // while monitors_ > 0
};

}  // namespace smalld
