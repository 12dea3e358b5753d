// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// What the UDP modes share: reading one wakeup's datagrams, the checks every
// echoed datagram gets, and the closed loop over -c flows.

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "clock.h"
#include "datagram_ledger.h"
#include "pattern.h"
#include "run.h"

namespace smallprobe {

constexpr size_t kMaxDatagram = 65536;
constexpr int kMaxReadsPerWakeup = 64;

// Reads what a wakeup found, at most kMaxReadsPerWakeup datagrams, into
// buffer and hands each length to on_datagram. "Nothing more" ends it; any
// other error is counted (a refused port comes back here).
template <typename OnDatagram>
void read_datagrams(Run& run, int fd, uint8_t* buffer, OnDatagram&& on_datagram) {
    for (int i = 0; i < kMaxReadsPerWakeup; ++i) {
        ssize_t n = recv(fd, buffer, kMaxDatagram, 0);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) run.connection_error(errno);
            return;
        }
        on_datagram(static_cast<size_t>(n));
    }
}

// An echoed datagram, checked and counted: its bytes; a bad reply when it is
// too short to carry a sequence number or answers a datagram never sent
// (by the flow's ledger), a duplicate when that datagram was answered
// already. Otherwise it is received: its length and every byte after the
// sequence number are checked against what the flow sent (`stream`), the
// flow is counted as reached on its first answer, and the sequence number
// comes back with whether the reply came in time or late.
struct EchoReply {
    uint64_t seq;
    DatagramLedger::Reply reply;
};
std::optional<EchoReply> checked_echo(Run& run, DatagramLedger& ledger,
                                      const ConnectionStream& stream, const uint8_t* datagram,
                                      size_t len, bool* reached);

// Counts the flow as reached the first time it is answered.
inline void note_answer(Run& run, bool* reached) {
    if (*reached) return;
    *reached = true;
    ++run.result().connected;
}

// How long the closed loop waits for a datagram's reply before it sends
// another in its place: a tenth of -w, so a lost datagram costs the flow that
// long instead of stalling it for all of -w (its reply, if it comes later, is
// still received: late, not lost).
inline uint64_t resend_timeout_ns(const Options& options) {
    return options.timeout_ns / 10;
}

// After the run, waits until `until` (-w after the last send) for the
// replies still owed (every flow's ledger settled, or ^C, ends it sooner),
// then adds up what each flow sent and got back: lost = sent - received.
template <typename Flow>
void settle_udp_flows(Run& run, std::vector<std::unique_ptr<Flow>>& flows, uint64_t now,
                      uint64_t until) {
    for (auto& flow : flows) flow->stop_sending();
    // A server that has answered nothing in -w is not waited for again.
    const bool silent =
        run.result().connected == 0 && now - run.started() > run.options().timeout_ns;
    auto settled = [&] {
        for (const auto& flow : flows)
            if (!flow->ledger().settled()) return false;
        return true;
    };
    while (!silent && !stop_requested() && !settled() && now < until) {
        const uint64_t left_ms = (until - now + kNsPerMs - 1) / kNsPerMs;
        now = run.poll_once(static_cast<int>(std::min<uint64_t>(left_ms, 100)));
    }
    Result& result = run.result();
    result.losses = 0;
    for (const auto& flow : flows) result.losses += flow->ledger().lost();
}

// A flow that keeps a DatagramLedger (UDP echo) and so can be settled.
template <typename Flow>
concept AccountedFlow = requires(Flow& flow, const Flow& seen) {
    flow.stop_sending();
    seen.idle();
    seen.ledger();
};

// The closed loop of the UDP modes: -c flows (Flow(run, source, buffer, id)
// with open(now) and expire(now)) sharing one receive buffer, each flow's
// unanswered datagrams replaced after the resend timeout, and a server that
// never answers ending the run after one -w instead of being retried for
// all of it. An AccountedFlow's run also ends, with -n, once that many
// datagrams were sent and each was answered or given up on, and is settled.
template <typename Flow>
void run_udp_flows(Run& run) {
    const StreamSource source = StreamSource::pattern();
    std::unique_ptr<uint8_t[]> buffer(new uint8_t[kMaxDatagram]);
    std::vector<std::unique_ptr<Flow>> flows;
    uint64_t now = now_ns();
    run.start(now);
    for (uint32_t i = 0; i < run.options().connections; ++i) {
        flows.push_back(std::make_unique<Flow>(run, source, buffer.get(), i));
        if (!flows.back()->open(now)) flows.pop_back();
    }
    if (flows.empty()) {
        run.stop(now);
        return;
    }
    const uint64_t count = run.options().count;
    const int period_ms =
        static_cast<int>(std::clamp<uint64_t>(resend_timeout_ns(run.options()) / kNsPerMs, 1, 10));
    run.until_done(now, period_ms, [&](uint64_t at) {
        for (auto& flow : flows) flow->expire(at);
        if constexpr (AccountedFlow<Flow>) {
            if (count && run.result().sent >= count &&
                std::all_of(flows.begin(), flows.end(), [](const auto& f) { return f->idle(); }))
                return false;
        }
        return run.result().connected > 0 || at - run.started() <= run.options().timeout_ns;
    });
    if constexpr (AccountedFlow<Flow>) {
        now = now_ns();
        settle_udp_flows(run, flows, now, now + run.options().timeout_ns);
    }
}

}  // namespace smallprobe
