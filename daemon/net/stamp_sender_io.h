// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The stamp-sender's parts shared by its two files: a peer as it runs, and
// the sockets with their batch buffers (stamp_sender_io.cpp).

#include <sys/socket.h>
#include <array>

#include "stamp_sender.h"

namespace smalld {

struct StampSender::Peer {
    StampSender* owner = nullptr;
    SenderPeer conf;
    std::shared_ptr<SenderPeerStats> stats;
    SockAddr addr;
    bool resolved = false;
    evdns_request* lookup = nullptr;
    bool lookup_v6 = false;      // the lookup under way asks for AAAA
    int64_t resolve_at = 0;      // monotonic ns: look the name up again; 0: never
    int64_t ideal = 0, due = 0;  // monotonic ns: the next send, before and after jitter
    size_t size_index = 0;
};

// An address as a key for the peers' table: 16 bytes, IPv4 mapped.
struct AddressKey {
    uint64_t hi = 0, lo = 0;
    bool operator==(const AddressKey&) const = default;
};
AddressKey address_key(const SockAddr& addr);
struct AddressKeyHash {
    size_t operator()(const AddressKey& k) const noexcept {
        return size_t(k.hi * 0x9E3779B97F4A7C15ULL ^ (k.lo + 0x632BE59BD9B4E019ULL));
    }
};

struct StampSender::Io {
    static constexpr size_t kBatch = 64;
    static constexpr size_t kMaxPacket = 9216;
    static constexpr size_t kTickets = 4096;
    // Batches read per readable event, then the loop's turn.
    static constexpr size_t kReceiveBatches = 8;

    struct Socket {
        Fd fd;
        EventHandle readable;     // added only while listen()ing
        bool more = false;        // the last read stopped with more to read
        size_t drain_rounds = 1;  // batches a full receive buffer holds, at most
        uint32_t next_id = 0;     // the kernel's number for the next datagram sent
        uint32_t drops = 0;       // the kernel's count of datagrams it dropped here
    };
    // Which transmit-time report is which packet (SOF_TIMESTAMPING_OPT_ID).
    struct Ticket {
        std::weak_ptr<SenderPeerStats> peer;
        uint32_t seq = 0;
    };

    Io();
    // The socket of `family`, opened on first use; nullptr when it cannot be.
    Socket* socket(int family, event_base* base, int dscp, StampSender* owner);
    Socket* of_fd(int fd);
    // The slots' size in `out` and `in`: past the largest packet sent, to
    // the next 64-byte line, so that a longer reply (cut to it) never
    // matches one; at most kMaxPacket. A tick's packets then take a few
    // cache lines each instead of a page.
    void fit_slots(uint32_t largest);
    size_t stride = kMaxPacket;
    // Sends the batch: packet i is in out at (first_slot + i) * stride,
    // sizes[i] bytes long, to peers[i], its sequence seqs[i] (v4 packets are
    // built in the first kBatch slots, v6 in the next). Returns how many left.
    size_t send(Socket& s, size_t first_slot, Peer* const* peers, const uint32_t* seqs,
                const uint32_t* sizes, size_t count);
    // Reads transmit times and replies until the socket is empty or after
    // `rounds` batches, handing each reply to its peer; true when it stopped
    // with more to read. Each reply says how many datagrams the kernel has
    // dropped at the socket (SO_RXQ_OVFL): when that grew (it was full), the
    // drops are counted and the family's peers told (receive_overflow()).
    bool receive(Socket& s, StampSender& owner, SenderStats& stats, size_t rounds);
    // Reads `s` as a tick does: a few batches (receive()), and what is left
    // by the readable event on the loop's next turns.
    void read(Socket& s, StampSender& owner, SenderStats& stats);
    // Whether `s` wakes the loop when a reply arrives: always while a read
    // left more (s.more); else only when `between_ticks`. In between, the
    // replies wait in the socket, their receive times the kernel's, so that
    // a reply does not cost a wake-up.
    static void listen(Socket& s, bool between_ticks);
    // Before a packet is settled as lost: takes all that has arrived on both
    // sockets (however much a stall left there; what a flood keeps coming
    // past a full buffer's worth is left, and the packets due exposed), and
    // asks the kernel for drops no reply has reported yet (SO_MEMINFO), so
    // that our own full or unread socket is never the path's loss.
    void catch_up(StampSender& owner, SenderStats& stats);
    // Asks the kernel for a receive buffer of `bytes` (past its
    // net.core.rmem_max when the daemon may: CAP_NET_ADMIN).
    static void size_receive_buffer(int fd, int bytes);

    std::unordered_multimap<AddressKey, Peer*, AddressKeyHash> by_address;
    Socket v4, v6;
    std::vector<uint8_t> out, in;
    std::array<mmsghdr, kBatch> messages{};
    std::array<iovec, kBatch> iovecs{};
    std::array<sockaddr_storage, kBatch> names{};
    std::vector<uint8_t> control;
    std::vector<Ticket> tickets;
    double local_error_s = 0;

  private:
    void dropped(Socket& s, uint32_t drops, StampSender& owner, SenderStats& stats);
    void expose(Socket& s, StampSender& owner);
};

}  // namespace smalld
