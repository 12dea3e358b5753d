// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The stamp-sender's I/O: one UDP socket per address family for all the
// instance's peers (none listens), the send schedule, name resolution and
// the replies. Each peer gets a packet every `interval`, the peers' send
// times spread evenly over the interval and jittered so that they never
// burst; what is due at once goes out in one sendmmsg(), and replies come in
// by recvmmsg(). T1 is the kernel's transmit time (SO_TIMESTAMPING, read
// back from the error queue, stamp/tx_timestamps.h) where it comes before
// the reply, T4 the kernel's receive time. The sender wakes once a tick
// (10 ms, or an eighth of the interval when that is less, jittered by an
// eighth; on its own timerfd, wake_timer.h) to send what
// is due and to read what came back, in one wake-up (two turns of the
// loop, the replies first; send_due() on the next): with many
// peers, each wake-up sends and reads many, and the services sharing the
// loop are not woken a thousand times a second; a send is late by at most
// a tick, which no figure sees (T1 is the kernel's), and a reply is read at
// the next tick (T4 is the kernel's). When that is more than 20 ms away,
// a reply wakes the sender instead. Names are resolved by evdns
// without blocking the loop and again at their TTL (or every 5 minutes);
// a peer not resolved yet, or not answering, is down and still counted.
// The measuring is the STAMP core's (stamp/stamp_sender.h); the per-peer
// state lives in the instance's stats (SenderStats), so every renderer
// reads it and a reload keeps it for the peers it leaves unchanged. Nothing
// is allocated per packet: the buffers are made once per sender.

#include <event2/dns.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "address.h"
#include "event_handle.h"
#include "services.h"
#include "stamp_sender_peers.h"
#include "stats.h"
#include "wake_timer.h"

namespace smalld {

class StampSender {
  public:
    StampSender(event_base* base, std::shared_ptr<InstanceStats> stats);
    ~StampSender();
    StampSender(const StampSender&) = delete;
    StampSender& operator=(const StampSender&) = delete;

    // Applies the instance's configuration (at start and at each reload):
    // peers that kept their name, address and port keep their session and
    // history when the instance's sending settings are unchanged; the others
    // start, removed ones end. Returns the reload diff's lines.
    std::vector<std::string> configure(const InstanceConfig& config);

    // The sender's pieces, for stamp_sender_io.cpp.
    struct Peer;
    struct Io;

  private:
    void reschedule();
    void arm();
    void tick();
    void send_due();
    void resolve(Peer& peer);
    void resolved(Peer& peer, int family, const void* address, int ttl);
    static void on_tick(void* self);
    static void on_readable(evutil_socket_t fd, short, void* self);
    static void on_resolved(int result, char type, int count, int ttl, void* addresses, void* arg);

    event_base* base_;
    std::shared_ptr<InstanceStats> stats_;
    std::string section_;
    StampSenderSettings settings_;
    std::vector<std::unique_ptr<Peer>> peers_;
    std::unique_ptr<Io> io_;
    evdns_base* dns_ = nullptr;
    std::vector<std::pair<int64_t, Peer*>> schedule_;  // a min-heap by due time
    WakeTimer timer_;            // the next tick: its own timerfd (wake_timer.h)
    EventHandle send_turn_;      // the tick's sends, on the loop's next turn
    int64_t tick_ns_ = 0;        // the time between two ticks, on average
    int64_t last_tick_ = 0;      // monotonic ns of the last
    bool between_ticks_ = true;  // the next tick is far: replies wake us (arm())
    Random random_;              // the send times' jitter, and the ticks'
};

}  // namespace smalld
