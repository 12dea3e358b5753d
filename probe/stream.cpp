// SPDX-License-Identifier: BSD-2-Clause
// Request/reply over TCP connections: echo (fixed-size messages, every byte
// verified against the connection's pattern) and line mode (a template out,
// a reply ending in '\n' back). Closed loop keeps -P messages in flight per
// connection; open loop (-R) issues messages on a fixed schedule and measures
// from the intended send time, so a stalled server cannot hide its stall
// (no coordinated omission).

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "clock.h"
#include "modes.h"
#include "pattern.h"
#include "schedule.h"
#include "timer.h"
#include "watched_socket.h"

namespace smallprobe {
namespace {

constexpr size_t kLineReplyKeep = 1024;  // bytes of a line reply kept for comparison

class StreamEngine;

class StreamConn final : public PollHandler {
  public:
    StreamConn(StreamEngine* engine, uint32_t id);

    void open();
    void on_event(uint32_t events, uint64_t now) override;
    // Issues the messages whose time has come (open loop).
    void issue_due(uint64_t now);
    // When the next scheduled message is due (open loop).
    uint64_t next_due() const;
    // True when the oldest outstanding message is older than the timeout.
    bool overdue(uint64_t now) const;
    void fail_timeout();
    bool alive() const { return socket_.is_open(); }

  private:
    void on_connected(uint64_t now);
    void on_readable(uint64_t now);
    void issue(uint64_t messages, uint64_t now);
    void flush();
    uint64_t consume_echo(const uint8_t* data, size_t len);
    uint64_t consume_line(const uint8_t* data, size_t len);
    void complete(uint64_t messages, uint64_t now);
    uint64_t intended_send_time(uint64_t message) const;

    StreamEngine* engine_;
    WatchedSocket socket_;
    bool connected_ = false;
    bool want_write_ = false;
    ConnectionStream stream_;  // line mode: from 0, so every request starts on a template boundary
    uint64_t tx_issued_ = 0;   // bytes of issued messages
    uint64_t tx_sent_ = 0;
    uint64_t rx_bytes_ = 0;
    uint64_t issued_ = 0;  // messages
    uint64_t done_ = 0;
    std::vector<uint64_t> send_times_;  // closed loop ring, one per message in flight
    std::string line_reply_;            // line mode: the reply being received
    OpenLoopSchedule schedule_;
};

class StreamEngine final : public PollHandler {
  public:
    explicit StreamEngine(Run& run);
    void execute();
    void on_event(uint32_t events, uint64_t now) override;  // the open-loop timer

    Run& run;
    const Options& opt;
    const bool line_mode;
    const StreamSource source;
    const uint64_t message_size;
    const bool open_loop;
    uint64_t issued_total = 0;
    std::string first_line_reply;  // line mode: every reply must match the first
    bool have_first_reply = false;
    std::unique_ptr<uint8_t[]> read_buffer;

    // How many more messages -n allows to be issued.
    uint64_t budget() const {
        if (opt.count == 0) return UINT64_MAX;
        return issued_total >= opt.count ? 0 : opt.count - issued_total;
    }

    // Sets the timer for the earliest message due on any connection.
    void arm_timer();

  private:
    std::vector<std::unique_ptr<StreamConn>> conns_;
    DeadlineTimer timer_;
};

StreamConn::StreamConn(StreamEngine* engine, uint32_t id)
    : engine_(engine),
      socket_(engine->run),
      stream_(engine->line_mode ? ConnectionStream(engine->source, 0)
                                : ConnectionStream::of(id, engine->source)) {
    send_times_.resize(engine->opt.depth);
    line_reply_.reserve(kLineReplyKeep);
    if (engine->open_loop)
        schedule_ = OpenLoopSchedule::for_connection(engine->run.started(), engine->opt.rate,
                                                     engine->opt.connections, id);
}

void StreamConn::open() {
    if (socket_.open(SOCK_STREAM)) engine_->run.watch(socket_.fd(), EPOLLOUT, this);
}

void StreamConn::on_event(uint32_t events, uint64_t now) {
    if (!socket_.is_open()) return;
    if (!connected_) {
        if (!socket_.finish_connect()) return;
        on_connected(now);
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) on_readable(now);
    if (socket_.is_open() && (events & EPOLLOUT)) flush();
}

void StreamConn::on_connected(uint64_t now) {
    connected_ = true;
    ++engine_->run.result().connected;
    set_no_delay(socket_.fd());
    engine_->run.rewatch(socket_.fd(), EPOLLIN, this);
    if (engine_->open_loop) {
        issue_due(now);
        engine_->arm_timer();
    } else {
        issue(engine_->opt.depth, now);
    }
}

void StreamConn::on_readable(uint64_t now) {
    uint8_t* buffer = engine_->read_buffer.get();
    ssize_t n = recv(socket_.fd(), buffer, StreamSource::kMaxWindow, 0);
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) socket_.fail(errno);
        return;
    }
    if (n == 0) {
        engine_->run.unexpected_eof();
        socket_.close();
        return;
    }
    const auto len = static_cast<size_t>(n);
    engine_->run.result().bytes_received += len;
    const uint64_t completed =
        engine_->line_mode ? consume_line(buffer, len) : consume_echo(buffer, len);
    if (completed) complete(completed, now);
}

uint64_t StreamConn::consume_echo(const uint8_t* data, size_t len) {
    engine_->run.result().mismatched_bytes += count_mismatches(data, stream_.at(rx_bytes_), len);
    rx_bytes_ += len;
    return rx_bytes_ / engine_->message_size - done_;
}

uint64_t StreamConn::consume_line(const uint8_t* data, size_t len) {
    uint64_t completed = 0;
    const uint8_t* end = data + len;
    while (data < end) {
        const auto* newline =
            static_cast<const uint8_t*>(std::memchr(data, '\n', static_cast<size_t>(end - data)));
        const uint8_t* piece_end = newline ? newline + 1 : end;
        const size_t room = kLineReplyKeep - std::min(kLineReplyKeep, line_reply_.size());
        line_reply_.append(reinterpret_cast<const char*>(data),
                           std::min(room, static_cast<size_t>(piece_end - data)));
        data = piece_end;
        if (!newline) break;
        ++completed;
        if (!engine_->have_first_reply) {
            engine_->first_line_reply = line_reply_;
            engine_->have_first_reply = true;
        } else if (line_reply_ != engine_->first_line_reply) {
            engine_->run.bad_reply("reply differs from the first one: \"" +
                                   line_reply_.substr(0, 60) + "\"");
        }
        line_reply_.clear();
    }
    if (completed > issued_ - done_) {
        engine_->run.bad_reply(
            "more replies than requests (does each request get exactly one line?)");
        completed = issued_ - done_;
    }
    return completed;
}

void StreamConn::complete(uint64_t messages, uint64_t now) {
    Run& run = engine_->run;
    Result& result = run.result();
    const bool measuring = !run.finished(now);
    for (uint64_t i = 0; i < messages; ++i, ++done_) {
        if (!measuring) continue;
        const uint64_t sent_at = engine_->open_loop ? intended_send_time(done_)
                                                    : send_times_[done_ % send_times_.size()];
        result.latency.record(now > sent_at ? now - sent_at : 0);
        ++result.ops;
    }
    if (!measuring) return;
    if (!engine_->open_loop) issue(messages, now);
}

void StreamConn::issue(uint64_t messages, uint64_t now) {
    messages = std::min(messages, engine_->budget());
    if (messages == 0) return;
    for (uint64_t i = 0; i < messages; ++i, ++issued_) {
        if (!engine_->open_loop) send_times_[issued_ % send_times_.size()] = now;
    }
    engine_->issued_total += messages;
    tx_issued_ += messages * engine_->message_size;
    flush();
}

uint64_t StreamConn::intended_send_time(uint64_t message) const {
    return schedule_.intended(message);
}

uint64_t StreamConn::next_due() const {
    // Nothing is due on a connection that cannot send, so the timer sleeps
    // instead of firing for it again and again.
    if (!connected_ || !socket_.is_open() || engine_->budget() == 0) return UINT64_MAX;
    return intended_send_time(issued_);
}

void StreamConn::issue_due(uint64_t now) {
    if (!connected_ || !socket_.is_open()) return;
    const uint64_t due = schedule_.due_by(now);
    if (due > issued_) issue(due - issued_, now);
}

void StreamConn::flush() {
    Run& run = engine_->run;
    while (tx_sent_ < tx_issued_) {
        const size_t chunk = static_cast<size_t>(
            std::min<uint64_t>(tx_issued_ - tx_sent_, StreamSource::kMaxWindow));
        ssize_t n = send(socket_.fd(), stream_.at(tx_sent_), chunk, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) break;
            socket_.fail(errno);
            return;
        }
        tx_sent_ += static_cast<uint64_t>(n);
        run.result().bytes_sent += static_cast<uint64_t>(n);
    }
    const bool blocked = tx_sent_ < tx_issued_;
    if (blocked != want_write_) {
        want_write_ = blocked;
        run.rewatch(socket_.fd(), blocked ? EPOLLIN | EPOLLOUT : EPOLLIN, this);
    }
}

bool StreamConn::overdue(uint64_t now) const {
    if (!socket_.is_open() || done_ >= issued_) return false;
    const uint64_t oldest =
        engine_->open_loop ? intended_send_time(done_) : send_times_[done_ % send_times_.size()];
    return now > oldest && now - oldest > engine_->opt.timeout_ns;
}

void StreamConn::fail_timeout() {
    engine_->run.timeout_error();
    socket_.close();
}

StreamEngine::StreamEngine(Run& r)
    : run(r),
      opt(r.options()),
      line_mode(opt.mode == Mode::Line),
      source(line_mode ? StreamSource::repeated(opt.request) : StreamSource::pattern()),
      message_size(line_mode ? opt.request.size() : opt.size),
      open_loop(opt.rate != 0),
      read_buffer(new uint8_t[StreamSource::kMaxWindow]) {}

void StreamEngine::arm_timer() {
    uint64_t next = UINT64_MAX;
    for (const auto& c : conns_) next = std::min(next, c->next_due());
    timer_.arm_at(next);
}

void StreamEngine::on_event(uint32_t, uint64_t now) {
    timer_.drain();
    if (!run.finished(now)) {
        for (auto& c : conns_) c->issue_due(now);
    }
    arm_timer();
}

void StreamEngine::execute() {
    conns_.reserve(opt.connections);
    uint64_t now = now_ns();
    run.start(now);  // before the connections: their schedules start here
    for (uint32_t i = 0; i < opt.connections; ++i)
        conns_.push_back(std::make_unique<StreamConn>(this, i));
    for (auto& c : conns_) c->open();
    if (open_loop) {
        run.watch(timer_.fd(), EPOLLIN, this);
        arm_timer();
    }
    run.until_done(now, 100, [&](uint64_t at) {
        size_t alive = 0;
        for (auto& c : conns_) {
            if (c->overdue(at)) c->fail_timeout();
            alive += c->alive();
        }
        return alive > 0;
    });
}

}  // namespace

void run_stream(Run& run) {
    StreamEngine engine(run);
    engine.execute();
}

}  // namespace smallprobe
