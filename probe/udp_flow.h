#pragma once
// What the UDP modes share: reading one wakeup's datagrams, the checks every
// echoed datagram gets, and the closed loop over -c flows.

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "clock.h"
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

// The first look at an echoed datagram: counts its bytes and returns its
// sequence number, or nothing (a bad reply counted) when it is too short to
// carry one.
std::optional<uint64_t> echoed_seq(Run& run, const uint8_t* datagram, size_t len);

// Checks the echo of a datagram against what was sent (its length, then
// every byte after the sequence number), and counts the flow as reached on
// its first answer.
void verify_echo(Run& run, const uint8_t* datagram, size_t len, const uint8_t* sent, bool* reached);

// Counts the flow as reached the first time it is answered.
inline void note_answer(Run& run, bool* reached) {
    if (*reached) return;
    *reached = true;
    ++run.result().connected;
}

// The closed loop of the UDP modes: -c flows (Flow(run, source, buffer, id)
// with open(now) and expire(now)) sharing one receive buffer, each flow's
// lost datagrams retried every 10 ms, and a server that never answers ending
// the run after one timeout instead of being retried for all of it.
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
    run.until_done(now, 10, [&](uint64_t at) {
        for (auto& flow : flows) flow->expire(at);
        return run.result().connected > 0 || at - run.started() <= run.options().timeout_ns;
    });
}

}  // namespace smallprobe
