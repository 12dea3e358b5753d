#include "control_server.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "contain.h"
#include "control_commands.h"
#include "control_socket_file.h"
#include "daemon.h"
#include "log.h"
#include "render.h"

namespace smalld {

struct ControlServer::Client {
    ControlServer* server = nullptr;
    uint64_t id = 0;
    Fd fd;
    uid_t uid = uid_t(-1);
    pid_t pid = 0;
    bool admin = false;
    LineReader reader;
    std::string input;  // read but not yet framed: held back while `out` is full
    std::string out;
    size_t out_pos = 0;
    bool eof = false;   // the peer shut its side: finish the replies, then close
    bool dead = false;  // closed; freed by the reaper
    bool monitor = false;
    enum class Timer { None, PartialLine, Idle } timer = Timer::None;
    bool line_done = false;  // a line completed since the timer was last set
    uint64_t dropped = 0;    // monitor events lost since the last notice
    EventHandle read_ev;
    EventHandle write_ev;
    EventHandle timeout_ev;

    size_t queued() const { return out.size() - out_pos; }
};

namespace {

LogLimiter accept_log("control accept errors", 5, std::chrono::seconds(10));
// A read-only user may ask for admin commands as fast as it likes.
LogLimiter denied_log("control denials", 5, std::chrono::seconds(10));
LogLimiter busy_log("control refusals", 5, std::chrono::seconds(10));

// Daemon::drop_privileges() changes user when started as root outside systemd.
bool will_drop_to(const Config& config) {
    return !config.daemon.user.empty() && geteuid() == 0 && !getenv("INVOCATION_ID");
}

bool make_directories(const std::string& dir, bool* created) {
    struct stat st {};
    if (dir.empty() || stat(dir.c_str(), &st) == 0) return true;
    size_t slash = dir.rfind('/');
    if (slash != std::string::npos && slash > 0 && !make_directories(dir.substr(0, slash), created))
        return false;
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return false;
    *created = true;
    return true;
}

bool fill_address(const std::string& path, sockaddr_un* addr) {
    *addr = {};
    addr->sun_family = AF_UNIX;
    if (path.size() >= sizeof addr->sun_path) return false;
    memcpy(addr->sun_path, path.c_str(), path.size() + 1);
    return true;
}

}  // namespace

ControlServer::ControlServer(Daemon& daemon) : daemon_(daemon) {}

ControlServer::~ControlServer() {
    // The hook captures `this`; the reaper may not have cleared it yet.
    daemon_.on_event = nullptr;
    daemon_.event_room = nullptr;
    clients_.clear();
    accept_.reset();
    resume_.reset();
    reap_.reset();
    if (!fd_) return;
    fd_.reset();
    // Only our own socket: a newer daemon may have replaced it.
    struct stat st {};
    if (lstat(path_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_ &&
        unlink(path_.c_str()) != 0)
        LOG_WARNING("control: cannot remove %s: %s", path_.c_str(), strerror(errno));
}

std::optional<StartError> ControlServer::start() {
    const ControlConfig& config = daemon_.config().control;
    path_ = config.socket;
    sockaddr_un addr;
    if (!fill_address(path_, &addr))
        return StartError{71, "control socket path too long (at most " +
                                  std::to_string(sizeof addr.sun_path - 1) + " bytes): " + path_};
    bool created_dir = false;
    std::string dir = path_.substr(0, path_.rfind('/') == std::string::npos ? 0 : path_.rfind('/'));
    if (!make_directories(dir, &created_dir))
        return StartError{71, "cannot create the directory of the control socket " + dir + ": " +
                                  strerror(errno)};

    struct stat st {};
    if (lstat(path_.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return StartError{71, "control socket " + path_ +
                                      " exists and is not a socket; remove it or set "
                                      "[control] socket"};
        SocketProbeResult probe = probe_socket(addr, kProbeWaitMs);
        if (probe.state == SocketProbe::Live)
            return StartError{71, "another smalld is running on " + path_};
        if (probe.state == SocketProbe::Error)
            return StartError{71, "cannot tell whether the control socket " + path_ +
                                      " is in use (connect: " + strerror(probe.error) +
                                      "); not replacing it: stop its owner or remove it"};
        if (unlink(path_.c_str()) != 0 && errno != ENOENT)
            return StartError{
                71, "cannot remove the stale control socket " + path_ + ": " + strerror(errno)};
        LOG_INFO("control: removed stale socket %s", path_.c_str());
    }

    fd_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd_) return StartError{71, std::string("control socket: ") + strerror(errno)};
    // Born private; opened up to `mode` once it has its owner and group.
    mode_t old_mask = umask(0177);
    int bound = bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    int bind_errno = errno;
    umask(old_mask);
    if (bound != 0)
        return StartError{71,
                          "cannot bind the control socket " + path_ + ": " + strerror(bind_errno)};
    if (lstat(path_.c_str(), &st) == 0) {
        dev_ = st.st_dev;
        ino_ = st.st_ino;
    }
    uid_t owner = uid_t(-1);
    gid_t gid = gid_t(-1);
    if (!config.group.empty()) {
        const struct group* gr = getgrnam(config.group.c_str());
        if (!gr) return StartError{71, "control socket: no group \"" + config.group + "\""};
        gid = gr->gr_gid;
    }
    if (will_drop_to(daemon_.config())) {
        // After the drop the daemon must still be able to remove its socket.
        if (const passwd* pw = getpwnam(daemon_.config().daemon.user.c_str())) owner = pw->pw_uid;
        if (created_dir && owner != uid_t(-1) && chown(dir.c_str(), owner, gid_t(-1)) != 0)
            LOG_WARNING("control: cannot chown %s: %s", dir.c_str(), strerror(errno));
    }
    if (int err = set_socket_file_access(path_.c_str(), dev_, ino_, owner, gid, config.mode))
        return StartError{71, "cannot set the owner and mode of the control socket " + path_ +
                                  ": " + strerror(err)};
    if (listen(fd_.get(), 64) != 0)
        return StartError{71,
                          "cannot listen on the control socket " + path_ + ": " + strerror(errno)};

    event_base* base = daemon_.base();
    accept_.reset(event_new(base, fd_.get(), EV_READ | EV_PERSIST, on_accept_cb, this));
    resume_.reset(evtimer_new(base, on_resume_cb, this));
    reap_.reset(event_new(base, -1, 0, on_reap_cb, this));
    event_add(accept_.get(), nullptr);
    LOG_NOTICE("control: listening on %s (mode %04o)", path_.c_str(), unsigned(config.mode));
    return std::nullopt;
}

void ControlServer::on_accept_cb(evutil_socket_t, short, void* self) {
    contain("control accept", [&] { static_cast<ControlServer*>(self)->accept_ready(); });
}

void ControlServer::on_resume_cb(evutil_socket_t, short, void* self) {
    auto* server = static_cast<ControlServer*>(self);
    event_add(server->accept_.get(), nullptr);
}

void ControlServer::on_reap_cb(evutil_socket_t, short, void* self) {
    auto* server = static_cast<ControlServer*>(self);
    contain("control", [&] {
        std::erase_if(server->clients_, [](const auto& entry) { return entry.second->dead; });
        if (server->monitors_ == 0) {
            server->daemon_.on_event = nullptr;
            server->daemon_.event_room = nullptr;
        }
    });
}

// A throw while serving one client ends that client, not the daemon.
void ControlServer::on_read_cb(evutil_socket_t, short, void* client) {
    auto* c = static_cast<Client*>(client);
    contain(
        "control", [&] { c->server->read_ready(*c); },
        [&] { c->server->close_client(*c, "internal error"); });
}

void ControlServer::on_write_cb(evutil_socket_t, short, void* client) {
    auto* c = static_cast<Client*>(client);
    contain(
        "control", [&] { c->server->write_ready(*c); },
        [&] { c->server->close_client(*c, "internal error"); });
}

void ControlServer::on_timeout_cb(evutil_socket_t, short, void* client) {
    auto* c = static_cast<Client*>(client);
    bool idle = c->timer == Client::Timer::Idle;
    c->timer = Client::Timer::None;
    contain("control", [&] {
        c->server->close_client(*c,
                                idle ? "idle for too long" : "request line not finished in time");
    });
}

void ControlServer::accept_ready() {
    for (int i = 0; i < 16; ++i) {
        int fd = accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                // Out of descriptors: retrying now would spin.
                accept_log.write(LogLevel::Warning, "control: accept: %s; pausing for 1s",
                                 strerror(errno));
                event_del(accept_.get());
                timeval second{1, 0};
                event_add(resume_.get(), &second);
            }
            return;
        }
        auto c = std::make_unique<Client>();
        c->server = this;
        c->id = next_id_++;
        c->fd.reset(fd);
        ucred cred{};
        socklen_t len = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
            c->uid = cred.uid;
            c->pid = cred.pid;
        }
        c->admin = c->uid == 0 || c->uid == geteuid();
        // Read-only peers cannot take the last slots: an admin can always get in.
        // Nor can one read-only user take all of theirs.
        const char* full = nullptr;
        if (clients_.size() >= (c->admin ? kMaxClients : kMaxClients - kAdminReserved))
            full = "too many control clients";
        else if (!c->admin && read_only(c->uid, false) >= kMaxClientsPerUid)
            full = "too many control clients of this user";
        if (full) {
            std::string line = CommandReply::failure("busy", full).to_text() + "\n";
            (void)!send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            busy_log.write(LogLevel::Warning, "control: refused a client (uid %u): %s (%zu open)",
                           unsigned(c->uid), full, clients_.size());
            continue;
        }
        event_base* base = daemon_.base();
        c->read_ev.reset(event_new(base, fd, EV_READ | EV_PERSIST, on_read_cb, c.get()));
        c->write_ev.reset(event_new(base, fd, EV_WRITE | EV_PERSIST, on_write_cb, c.get()));
        c->timeout_ev.reset(evtimer_new(base, on_timeout_cb, c.get()));
        event_add(c->read_ev.get(), nullptr);
        update_timer(*c);
        LOG_DEBUG("control: client %llu connected (uid %u, pid %d, %s)",
                  static_cast<unsigned long long>(c->id), unsigned(c->uid), int(c->pid),
                  c->admin ? "admin" : "read-only");
        clients_.emplace(c->id, std::move(c));
    }
}

void ControlServer::read_ready(Client& c) {
    char buf[4096];
    ssize_t n = recv(c.fd.get(), buf, sizeof buf, 0);
    if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) return;
        close_client(c, strerror(errno));
        return;
    }
    if (n == 0) {
        c.eof = true;
        if (c.reader.partial()) c.input += '\n';  // a last request without its newline
    } else {
        c.input.append(buf, size_t(n));
    }
    process(c);
}

void ControlServer::process(Client& c) {
    size_t used = c.reader.feed(c.input, [&](const LineReader::Item& item) {
        if (c.dead) return false;
        c.line_done = true;
        if (item.too_long) {
            ++daemon_.stats().control_commands_total;
            queue(c,
                  CommandReply::failure("too_long", "request line longer than " +
                                                        std::to_string(kMaxRequestLine) + " bytes")
                      .to_text());
        } else {
            execute(c, item.line);
        }
        return !c.dead && c.queued() < kMaxQueued;
    });
    c.input.erase(0, used);
    if (c.dead) return;
    if (c.eof && c.input.empty() && c.queued() == 0) {
        close_client(c, "closed by the client");
        return;
    }
    update_events(c);
}

void ControlServer::update_events(Client& c) {
    // Read while there is room for replies and nothing held back.
    bool want_read = !c.eof && c.input.empty() && c.queued() < kMaxQueued;
    if (want_read)
        event_add(c.read_ev.get(), nullptr);
    else
        event_del(c.read_ev.get());
    if (c.queued() > 0)
        event_add(c.write_ev.get(), nullptr);
    else
        event_del(c.write_ev.get());
    update_timer(c);
}

void ControlServer::update_timer(Client& c) {
    // A request line must be finished within its own deadline, counted from
    // its first byte: a client that keeps finishing lines is making progress.
    // Otherwise a client that neither sends nor receives for the idle timeout
    // is closed, so silent clients cannot hold every slot; monitors only listen.
    using Timer = Client::Timer;
    bool partial = c.reader.partial() && !c.eof;
    Timer want = partial                                   ? Timer::PartialLine
                 : c.monitor || (c.eof && c.queued() == 0) ? Timer::None
                                                           : Timer::Idle;
    if (want == Timer::None) {
        if (c.timer != Timer::None) event_del(c.timeout_ev.get());
    } else if (want == Timer::Idle || c.timer != want || c.line_done) {
        int ms = want == Timer::Idle ? kIdleTimeoutMs : kPartialLineTimeoutMs;
        timeval limit{ms / 1000, (ms % 1000) * 1000};
        event_add(c.timeout_ev.get(), &limit);
    }
    c.timer = want;
    c.line_done = false;
}

void ControlServer::execute(Client& c, std::string_view line) {
    ParsedRequest parsed = parse_request(line);
    if (parsed.empty) return;
    ++daemon_.stats().control_commands_total;
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
        ++daemon_.stats().control_denied_total;
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
    if (c.dead) return;
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
        if (monitors_++ == 0) {
            daemon_.event_room = [this] { return monitor_room(); };
            daemon_.on_event = [this](const nlohmann::json& event) {
                if (monitors_ == 0) return;
                nlohmann::json stamped = event;
                stamped["time"] = double(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count()) /
                                  1000.0;
                broadcast(to_json_text(stamped));
            };
        }
    }
}

size_t ControlServer::read_only(uid_t uid, bool monitors) const {
    size_t n = 0;
    for (const auto& [id, c] : clients_)
        n += !c->dead && !c->admin && (uid == uid_t(-1) || c->uid == uid) &&
             (!monitors || c->monitor);
    return n;
}

bool ControlServer::monitor_room() {
    for (const auto& [id, c] : clients_)
        if (c->monitor && !c->dead && c->queued() + kEventRoom <= kMaxMonitorQueued) return true;
    for (auto& [id, c] : clients_) {
        if (!c->monitor || c->dead) continue;
        ++c->dropped;
        ++daemon_.stats().control_events_dropped_total;
    }
    return false;
}

void ControlServer::broadcast(const std::string& line) {
    ++daemon_.stats().control_events_total;
    for (auto& [id, c] : clients_) {
        if (!c->monitor || c->dead) continue;
        if (c->queued() + line.size() + 1 > kMaxMonitorQueued) {
            ++c->dropped;
            ++daemon_.stats().control_events_dropped_total;
            continue;
        }
        queue(*c, line);
        if (!c->dead) update_events(*c);
    }
}

void ControlServer::queue(Client& c, const std::string& line) {
    if (c.dead) return;
    if (c.out_pos > 0 && c.out_pos == c.out.size()) {
        c.out.clear();
        c.out_pos = 0;
    }
    c.out += line;
    c.out += '\n';
    flush(c);
}

bool ControlServer::flush(Client& c) {
    while (c.queued() > 0) {
        ssize_t n =
            send(c.fd.get(), c.out.data() + c.out_pos, c.queued(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c.out_pos += size_t(n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
        close_client(c, n < 0 ? strerror(errno) : "send failed");
        return false;
    }
    if (c.queued() == 0) {
        c.out.clear();
        c.out_pos = 0;
        if (c.monitor && c.dropped > 0) {
            // Tell the monitor what it missed, once it keeps up again.
            c.out = to_json_text({{"event", "dropped"}, {"count", c.dropped}}) + "\n";
            c.dropped = 0;
            return flush(c);
        }
    } else if (c.out_pos > (64 << 10)) {
        c.out.erase(0, c.out_pos);
        c.out_pos = 0;
    }
    return true;
}

void ControlServer::write_ready(Client& c) {
    if (!flush(c)) return;
    if (c.queued() < kMaxQueued && !c.input.empty()) {
        process(c);  // held-back requests
        return;
    }
    if (c.eof && c.input.empty() && c.queued() == 0) {
        close_client(c, "closed by the client");
        return;
    }
    update_events(c);
}

void ControlServer::close_client(Client& c, const char* reason) {
    if (c.dead) return;
    c.dead = true;
    LOG_DEBUG("control: client %llu (uid %u) closed: %s", static_cast<unsigned long long>(c.id),
              unsigned(c.uid), reason);
    if (c.monitor) --monitors_;
    // Freed by the reaper: this may run inside the client's own callback or
    // inside Daemon::on_event.
    event_del(c.read_ev.get());
    event_del(c.write_ev.get());
    event_del(c.timeout_ev.get());
    c.fd.reset();
    event_active(reap_.get(), 0, 0);
}

}  // namespace smalld
