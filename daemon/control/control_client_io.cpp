// SPDX-License-Identifier: BSD-2-Clause
// A control client's I/O: reading and framing request lines (held back while
// replies are queued), writing replies, the partial-line and idle timers, and
// what its close undoes. The socket, the send loop and the close path itself
// are the stream connection's (stream_connection.h).
#include <cstring>
#include <nlohmann/json.hpp>

#include "control_client.h"
#include "control_commands.h"
#include "daemon.h"
#include "log.h"
#include "render.h"

namespace smalld {

namespace {

LogLimiter stall_log("control: stalled monitors");

}  // namespace

void ControlServer::timed_out(Client& c) {
    Client::Timer timer = c.timer;
    c.timer = Client::Timer::None;
    if (timer == Client::Timer::Stall) {
        // Gone in all but name: what it was sent has not left for kStallMs.
        ++daemon_.stats().counters.control_monitors_stalled_total;
        stall_log.write(LogLevel::Notice,
                        "control: monitor %llu (uid %u) took nothing for %llds; closed",
                        static_cast<unsigned long long>(c.id()), unsigned(c.uid),
                        static_cast<long long>(DrainWatch::kStallMs / 1000));
        c.close("monitor stopped taking its output");
        return;
    }
    c.close(timer == Client::Timer::Idle ? "idle for too long"
                                         : "request line not finished in time");
}

void ControlServer::read_ready(Client& c) {
    char buf[4096];
    ssize_t n = c.receive(buf, sizeof buf);
    if (n < 0) return;
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
        if (c.dead()) return false;
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
        return !c.dead() && c.queued() < kMaxQueued;
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
    if (c.dead()) return;
    if (c.eof && c.input.empty() && c.queued() == 0) {
        c.close("closed by the client");
        return;
    }
    update_events(c);
}

void ControlServer::update_events(Client& c) {
    // Read while there is room for replies and nothing held back.
    c.reading(!c.eof && c.input.empty() && c.queued() < kMaxQueued);
    c.writing(c.queued() > 0);
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
        if (c.timer != Timer::None) c.disarm();
    } else if (want == Timer::Idle || c.timer != want || c.line_done ||
               (want == Timer::Stall && c.progressed)) {
        int64_t ms = want == Timer::Idle          ? kIdleTimeoutMs
                     : want == Timer::PartialLine ? kPartialLineTimeoutMs
                                                  : DrainWatch::kStallMs;
        c.arm(ms);
    }
    c.timer = want;
    c.line_done = false;
    c.progressed = false;
}

void ControlServer::queue(Client& c, const std::string& line) {
    if (c.dead()) return;
    c.append(line);
    c.append("\n");
    flush(c);
}

bool ControlServer::flush(Client& c) {
    uint64_t sent = c.sent();
    if (!c.flush()) return false;
    if (c.sent() != sent) c.progressed = true;
    if (c.queued() == 0 && c.monitor && c.dropped > 0) {
        // Tell the monitor what it missed, once it keeps up again.
        c.append(to_json_text({{"event", "dropped"}, {"count", c.dropped}}) + "\n");
        c.dropped = 0;
        return flush(c);
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
        c.close("closed by the client");
        return;
    }
    update_events(c);
}

void ControlServer::closed(Client& c, const char* reason) {
    LOG_DEBUG("control: client %llu (uid %u) closed: %s", static_cast<unsigned long long>(c.id()),
              unsigned(c.uid), reason);
    if (c.monitor) --monitors_;
}

}  // namespace smalld
