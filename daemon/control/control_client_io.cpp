// SPDX-License-Identifier: BSD-2-Clause
// A control client's I/O: reading and framing request lines (held back while
// replies are queued), writing replies, the partial-line and idle timers, and
// the one close path.
#include <errno.h>
#include <sys/socket.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "contain.h"
#include "control_client.h"
#include "control_commands.h"
#include "daemon.h"
#include "log.h"
#include "render.h"

namespace smalld {

namespace {

LogLimiter stall_log("control: stalled monitors", 5, std::chrono::seconds(10));

}  // namespace

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
    Client::Timer timer = c->timer;
    c->timer = Client::Timer::None;
    contain("control", [&] {
        if (timer == Client::Timer::Stall) {
            // Gone in all but name: what it was sent has not left for kStallMs.
            ++c->server->daemon_.stats().counters.control_monitors_stalled_total;
            stall_log.write(LogLevel::Notice,
                            "control: monitor %llu (uid %u) took nothing for %llds; closed",
                            static_cast<unsigned long long>(c->id), unsigned(c->uid),
                            static_cast<long long>(DrainWatch::kStallMs / 1000));
            c->server->close_client(*c, "monitor stopped taking its output");
            return;
        }
        c->server->close_client(*c, timer == Client::Timer::Idle
                                        ? "idle for too long"
                                        : "request line not finished in time");
    });
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
            ++daemon_.stats().counters.control_commands_total;
            queue(c,
                  CommandReply::failure("too_long", "request line longer than " +
                                                        std::to_string(kMaxRequestLine) + " bytes")
                      .to_text());
        } else {
            execute(c, item.line);
        }
        return !c.dead && c.queued() < kMaxQueued;
    });
    // What choose_victim weighs: the bytes of the line under way, and since
    // when the client has owed it.
    std::string_view fed(c.input.data(), used);
    if (size_t nl = fed.rfind('\n'); nl != std::string_view::npos) {
        c.request_bytes = used - nl - 1;
        c.waiting_since_ms = monotonic_ms();
    } else {
        c.request_bytes += used;
    }
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
    // is closed, so silent clients cannot hold every slot. Monitors only
    // listen: one is closed when output waits for it and none has left for
    // DrainWatch::kStallMs, however quiet the daemon.
    using Timer = Client::Timer;
    bool partial = c.reader.partial() && !c.eof;
    Timer want = partial                    ? Timer::PartialLine
                 : c.monitor                ? (c.queued() > 0 ? Timer::Stall : Timer::None)
                 : c.eof && c.queued() == 0 ? Timer::None
                                            : Timer::Idle;
    if (want == Timer::None) {
        if (c.timer != Timer::None) event_del(c.timeout_ev.get());
    } else if (want == Timer::Idle || c.timer != want || c.line_done ||
               (want == Timer::Stall && c.progressed)) {
        int64_t ms = want == Timer::Idle          ? kIdleTimeoutMs
                     : want == Timer::PartialLine ? kPartialLineTimeoutMs
                                                  : DrainWatch::kStallMs;
        timeval limit{time_t(ms / 1000), suseconds_t((ms % 1000) * 1000)};
        event_add(c.timeout_ev.get(), &limit);
    }
    c.timer = want;
    c.line_done = false;
    c.progressed = false;
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
            c.progressed = true;
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
    // inside an event bus delivery.
    event_del(c.read_ev.get());
    event_del(c.write_ev.get());
    event_del(c.timeout_ev.get());
    c.fd.reset();
    event_active(reap_.get(), 0, 0);
}

}  // namespace smalld
