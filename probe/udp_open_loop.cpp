// SPDX-License-Identifier: BSD-2-Clause
// UDP echo, open loop (-u -R): every flow sends on its own fixed timetable
// whatever comes back, and each reply's latency is measured from the time
// its datagram was due. A ledger of sent and answered sequence numbers tells
// replies from duplicates; after the run the flows wait -w for the replies
// still owed, and a datagram never answered by then is a loss.

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "clock.h"
#include "datagram_ledger.h"
#include "modes.h"
#include "pattern.h"
#include "schedule.h"
#include "timer.h"
#include "udp_flow.h"
#include "udp_wire.h"
#include "watched_socket.h"

namespace smallprobe {
namespace {

class OpenLoopFlow final : public PollHandler {
  public:
    OpenLoopFlow(Run& run, const StreamSource& source, uint8_t* buffer, uint32_t id, uint64_t cap)
        : run_(run),
          stream_(ConnectionStream::of(id, source)),
          buffer_(buffer),
          schedule_(OpenLoopSchedule::for_connection(run.started(), run.options().rate,
                                                     run.options().connections, id)),
          cap_(cap) {
        // Sized for the whole run up front; it only grows if the run is
        // longer than planned (-n with a slow schedule).
        const uint64_t expected = run.options().duration_ns
                                      ? run.options().duration_ns / schedule_.interval_ns + 1
                                      : std::min<uint64_t>(cap, 1u << 24);
        ledger_.reserve(expected);
    }
    bool open();
    void on_event(uint32_t events, uint64_t now) override;
    void send_due(uint64_t now);
    uint64_t next_due() const {
        return sending_ && socket_.is_open() && issued_ < cap_ ? schedule_.intended(issued_)
                                                               : UINT64_MAX;
    }
    void stop_sending() { sending_ = false; }
    const DatagramLedger& ledger() const { return ledger_; }

  private:
    void on_datagram(size_t len, uint64_t now);

    Run& run_;
    const ConnectionStream stream_;
    uint8_t* buffer_;
    OpenLoopSchedule schedule_;
    uint64_t cap_;  // -n share of this flow
    WatchedSocket socket_{run_};
    bool reached_ = false;
    bool sending_ = true;
    uint64_t issued_ = 0;
    DatagramLedger ledger_;
};

bool OpenLoopFlow::open() {
    if (!socket_.open(SOCK_DGRAM)) return false;
    run_.watch(socket_.fd(), EPOLLIN, this);
    return true;
}

void OpenLoopFlow::send_due(uint64_t now) {
    if (!sending_ || !socket_.is_open()) return;
    const uint64_t due = std::min(schedule_.due_by(now), cap_);
    const size_t size = run_.options().size;
    for (; issued_ < due; ++issued_) {
        ledger_.sent(issued_);
        ++run_.result().sent;
        const ssize_t n =
            send_udp_echo(socket_.fd(), issued_, udp_payload_for(stream_, issued_), size);
        // A datagram the socket refused is simply never answered: a loss.
        if (n > 0) run_.result().bytes_sent += static_cast<uint64_t>(n);
    }
}

void OpenLoopFlow::on_event(uint32_t, uint64_t now) {
    read_datagrams(run_, socket_.fd(), buffer_, [&](size_t len) { on_datagram(len, now); });
}

void OpenLoopFlow::on_datagram(size_t len, uint64_t now) {
    const std::optional<EchoReply> echo =
        checked_echo(run_, ledger_, stream_, buffer_, len, &reached_);
    if (!echo) return;
    if (run_.finished(now)) return;
    Result& result = run_.result();
    const uint64_t due_at = schedule_.intended(echo->seq);
    result.latency.record(now > due_at ? now - due_at : 0);
    ++result.ops;
}

// Wakes the flows when their next datagram is due.
class SendTimer final : public PollHandler {
  public:
    SendTimer(Run& run, std::vector<std::unique_ptr<OpenLoopFlow>>& flows)
        : run_(run), flows_(flows) {
        run.watch(timer_.fd(), EPOLLIN, this);
    }
    void on_event(uint32_t, uint64_t now) override {
        timer_.drain();
        if (!run_.finished(now))
            for (auto& flow : flows_) flow->send_due(now);
        arm();
    }
    void arm() {
        uint64_t next = UINT64_MAX;
        for (const auto& flow : flows_) next = std::min(next, flow->next_due());
        timer_.arm_at(next);
    }

  private:
    Run& run_;
    std::vector<std::unique_ptr<OpenLoopFlow>>& flows_;
    DeadlineTimer timer_;
};

}  // namespace

void run_udp_echo_open_loop(Run& run) {
    const Options& o = run.options();
    const StreamSource source = StreamSource::pattern();
    std::unique_ptr<uint8_t[]> buffer(new uint8_t[kMaxDatagram]);
    std::vector<std::unique_ptr<OpenLoopFlow>> flows;
    uint64_t now = now_ns();
    run.start(now);
    for (uint32_t i = 0; i < o.connections; ++i) {
        const uint64_t cap =
            o.count ? o.count / o.connections + (i < o.count % o.connections) : UINT64_MAX;
        flows.push_back(std::make_unique<OpenLoopFlow>(run, source, buffer.get(), i, cap));
        if (!flows.back()->open()) flows.pop_back();
    }
    if (flows.empty()) {
        run.stop(now);
        return;
    }
    SendTimer timer(run, flows);
    timer.arm();
    uint64_t all_sent_at = 0;
    while (!run.finished(now)) {
        now = run.poll_once(run.wait_budget_ms(now, 100));
        run.tick(now);
        if (run.result().connected == 0 && now - run.started() > o.timeout_ns) break;
        // -n: once everything is sent, wait at most -w for the stragglers.
        bool all_sent = true;
        for (const auto& flow : flows) all_sent = all_sent && flow->next_due() == UINT64_MAX;
        if (!all_sent) continue;
        if (all_sent_at == 0) all_sent_at = now;
        if (now - all_sent_at > o.timeout_ns) break;
    }
    run.stop(now);
    // -d: the replies still owed get -w after the end; -n had it above.
    settle_udp_flows(run, flows, now, (all_sent_at ? all_sent_at : now) + o.timeout_ns);
}

}  // namespace smallprobe
