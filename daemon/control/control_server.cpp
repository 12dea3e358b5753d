// SPDX-License-Identifier: BSD-2-Clause
#include "control_server.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include "contain.h"
#include "control_client.h"
#include "control_commands.h"
#include "daemon.h"
#include "log.h"
#include "privileges.h"
#include "render.h"

namespace smalld {

namespace {

constexpr int kAcceptsPerWakeup = 16;
LogLimiter accept_log("control accept errors");
// A read-only user may ask for admin commands as fast as it likes.
LogLimiter denied_log("control denials");
LogLimiter busy_log("control refusals");
LogLimiter evict_log("control evictions");

}  // namespace

ControlServer::ControlServer(Daemon& daemon) : daemon_(daemon) {}

ControlServer::~ControlServer() {
    // The subscription captures `this`; the reaper may not have ended it yet.
    monitoring_.reset();
    clients_.clear();
    acceptor_.stop();
    keep_alive_.reset();
    fd_.reset();
    file_.remove();
}

std::optional<StartError> ControlServer::start() {
    const ControlConfig& config = daemon_.config().control;
    std::string error;
    // After the privilege drop the daemon must still be able to remove it.
    fd_ = file_.open(config, user_after_drop(daemon_.config().daemon), &error);
    if (!fd_) return StartError{71, error};
    if (listen(fd_.get(), 64) != 0)
        return StartError{71,
                          "cannot listen on the control socket " + path() + ": " + strerror(errno)};

    event_base* base = daemon_.base();
    acceptor_.start(base, fd_.get(), path(), {"control", kAcceptsPerWakeup, &accept_log, false},
                    [this](int fd, const SockAddr&) { admit(fd); });
    clients_.start(base, "control", [this] {
        if (monitors_ > 0) return;
        monitoring_.reset();
        event_del(keep_alive_.get());
    });
    keep_alive_.reset(event_new(base, -1, EV_PERSIST, on_keep_alive_cb, this));
    LOG_NOTICE("control: listening on %s (mode %04o)", path().c_str(), unsigned(config.mode));
    return std::nullopt;
}

size_t ControlServer::clients() const {
    return clients_.size();
}

void ControlServer::on_keep_alive_cb(evutil_socket_t, short, void* self) {
    auto* server = static_cast<ControlServer*>(self);
    contain("control keep-alive", [&] {
        for (auto& [id, c] : server->clients_)
            if (c->monitor && !c->dead() && c->queued() + 1 <= kMaxMonitorQueued) {
                server->queue(*c, "");
                if (!c->dead()) server->update_events(*c);
            }
    });
}

void ControlServer::admit(int fd) {
    Fd owned(fd);  // closed here unless the client takes it
    auto c = std::make_unique<Client>(*this);
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
        c->uid = cred.uid;
        c->pid = cred.pid;
    }
    c->admin = c->uid == 0 || c->uid == geteuid();
    // Read-only peers cannot take the last slots: an admin can always get in.
    // Nor can one read-only user take all of theirs. At a cap, a client
    // waiting for a request makes room.
    const char* full = nullptr;
    if (!c->admin && read_only(c->uid, false) >= kMaxClientsPerUid && !evict(*c, true))
        full = "too many control clients of this user";
    else if (clients_.live() >= (c->admin ? kMaxClients : kMaxClients - kAdminReserved) &&
             !evict(*c, false))
        full = "too many control clients";
    if (full) {
        ++daemon_.stats().counters.control_clients_refused_total;
        std::string line = CommandReply::failure("busy", full).to_text() + "\n";
        (void)!send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        busy_log.write(LogLevel::Warning, "control: refused a client (uid %u): %s (%zu open)",
                       unsigned(c->uid), full, clients_.live());
        return;
    }
    c->waiting_since_ms = monotonic_ms();
    Client& ref = clients_.add(std::move(c), owned.release());
    update_timer(ref);
    LOG_DEBUG("control: client %llu connected (uid %u, pid %d, %s)",
              static_cast<unsigned long long>(ref.id()), unsigned(ref.uid), int(ref.pid),
              ref.admin ? "admin" : "read-only");
    // A request that came with the connection is answered now, before a
    // later newcomer could take it for a slow one.
    read_ready(ref);
}

void ControlServer::execute(Client& c, std::string_view line) {
    ParsedRequest parsed = parse_request(line);
    if (parsed.empty) return;
    ++daemon_.stats().counters.control_commands_total;
    if (!parsed.request) {
        queue(c, CommandReply::failure("bad_request", parsed.error).to_text());
        return;
    }
    CommandMatch match = find_command(parsed.request->words);
    if (!match.command) {
        queue(c, match.error.to_text());
        return;
    }
    const ControlCommand& command = *match.command;
    if (command.level == ControlLevel::Admin && !c.admin) {
        ++daemon_.stats().counters.control_denied_total;
        denied_log.write(LogLevel::Notice, "control: denied \"%.*s\" to uid %u",
                         int(command.name.size()), command.name.data(), unsigned(c.uid));
        queue(c,
              CommandReply::failure("denied", "permission denied: \"" + std::string(command.name) +
                                                  "\" needs uid 0 or the daemon's user")
                  .to_text());
        return;
    }
    if (command.level == ControlLevel::Admin)
        LOG_NOTICE("control: uid %u runs \"%.*s\"", unsigned(c.uid), int(command.name.size()),
                   command.name.data());
    CommandReply reply = command.run(daemon_, match.args);
    if (c.dead()) return;
    if (reply.start_monitor && !c.monitor && !c.admin) {
        const char* full = read_only(uid_t(-1), true) >= kMaxReadOnlyMonitors ? "too many monitors"
                           : read_only(c.uid, true) >= kMaxReadOnlyMonitorsPerUid
                               ? "too many monitors of this user"
                               : nullptr;
        if (full) {
            busy_log.write(LogLevel::Warning, "control: refused a monitor to uid %u: %s",
                           unsigned(c.uid), full);
            reply = CommandReply::failure("busy", full);
        }
    }
    queue(c, reply.to_text());
    if (reply.start_monitor && !c.monitor) {
        c.monitor = true;
        if (monitors_++ == 0 && !monitoring_) {
            EventBus::Subscriber monitors;
            monitors.deliver = [this](const BusEvent& event) {
                if (monitors_ > 0) broadcast(event.text());
            };
            monitors.room = [this] { return monitor_room(); };
            monitors.lost = [this] { monitors_lost(); };
            monitoring_ = daemon_.events().subscribe(std::move(monitors));
            timeval every{kMonitorKeepAliveMs / 1000, (kMonitorKeepAliveMs % 1000) * 1000};
            event_add(keep_alive_.get(), &every);
        }
    }
}

size_t ControlServer::read_only(uid_t uid, bool monitors) const {
    size_t n = 0;
    for (const auto& [id, c] : clients_)
        n += !c->dead() && !c->admin && (uid == uid_t(-1) || c->uid == uid) &&
             (!monitors || c->monitor);
    return n;
}

bool ControlServer::evict(const Client& newcomer, bool same_uid) {
    // Read-only clients go before an admin's, whoever the newcomer is.
    for (bool admins : {false, true}) {
        if (admins && !newcomer.admin) break;
        std::vector<EvictionCandidate> candidates;
        for (const auto& [id, c] : clients_) {
            if (c->dead() || c->monitor || c->eof || c->queued() > 0 || !c->input.empty()) continue;
            if (c->admin != admins || (same_uid && c->uid != newcomer.uid)) continue;
            candidates.push_back({id, c->request_bytes, c->waiting_since_ms});
        }
        int64_t now = monotonic_ms();
        auto victim = choose_victim(candidates, now);
        if (!victim) continue;
        Client& c = clients_.at(*victim);
        ++daemon_.stats().counters.control_clients_evicted_total;
        evict_log.write(LogLevel::Notice,
                        "control: closed client %llu (uid %u, %zu bytes of a request in %lldms) "
                        "to make room for uid %u",
                        static_cast<unsigned long long>(c.id()), unsigned(c.uid), c.request_bytes,
                        static_cast<long long>(now - c.waiting_since_ms), unsigned(newcomer.uid));
        c.close("closed to make room for a new client");
        return true;
    }
    return false;
}

bool ControlServer::monitor_room() const {
    for (const auto& [id, c] : clients_)
        if (c->monitor && !c->dead() && c->queued() + kEventRoom <= kMaxMonitorQueued) return true;
    return false;
}

void ControlServer::monitors_lost() {
    for (auto& [id, c] : clients_) {
        if (!c->monitor || c->dead()) continue;
        ++c->dropped;
        ++daemon_.stats().counters.control_events_dropped_total;
    }
}

void ControlServer::broadcast(const std::string& line) {
    ++daemon_.stats().counters.control_events_total;
    for (auto& [id, c] : clients_) {
        if (!c->monitor || c->dead()) continue;
        if (c->queued() + line.size() + 1 > kMaxMonitorQueued) {
            ++c->dropped;
            ++daemon_.stats().counters.control_events_dropped_total;
            continue;
        }
        queue(*c, line);
        if (!c->dead()) update_events(*c);
    }
}

}  // namespace smalld
