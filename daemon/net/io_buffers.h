// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The scratch memory of one event loop: the buffer every TCP session reads
// into and generates from, and the recvmmsg/sendmmsg batch every UDP
// endpoint works in. One loop handles one session or one batch at a time,
// so one set serves them all; a worker thread would own a set of its own.
// The batch is allocated on first use, so a daemon without UDP endpoints
// never has it (4 MiB).

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "datagram_control.h"

namespace smalld {

struct DatagramBatch {
    static constexpr unsigned kSize = 32;
    static constexpr size_t kMaxDatagram = 65536;
    // The source address (one of the packet infos), then the TOS / traffic
    // class and the TTL / hop limit a service asked for.
    static constexpr size_t kReplyControlSize = CMSG_SPACE(sizeof(in6_pktinfo)) +
                                                CMSG_SPACE(sizeof(in_pktinfo)) +
                                                2 * CMSG_SPACE(sizeof(int));

    std::unique_ptr<uint8_t[]> in{new uint8_t[kSize * kMaxDatagram]};
    std::unique_ptr<uint8_t[]> out{new uint8_t[kSize * kMaxDatagram]};
    // The receive side is set up once (prepare_receive) and each message
    // the kernel filled is set back after use (rearm_receive): the kernel
    // changes only the name and control lengths and the flags, and only of
    // the messages it fills.
    bool receive_prepared = false;
    mmsghdr recv_msgs[kSize];
    iovec recv_iov[kSize];
    SockAddr sources[kSize];  // len set from msg_namelen; bytes past it are stale
    alignas(cmsghdr) uint8_t recv_control[kSize][kDatagramControlSize];
    mmsghdr send_msgs[kSize];
    iovec send_iov[kSize];
    alignas(cmsghdr) uint8_t send_control[kSize][kReplyControlSize];
    uint32_t seal[kSize];       // Datagram::seal of each reply
    uint64_t tx_ticket[kSize];  // Datagram::tx_ticket of each reply

    void prepare_receive();
    void rearm_receive(unsigned count);
};

class IoBuffers {
  public:
    static constexpr size_t kSessionBufferSize = 64 * 1024;

    IoBuffers();
    ~IoBuffers();
    IoBuffers(const IoBuffers&) = delete;
    IoBuffers& operator=(const IoBuffers&) = delete;

    // kSessionBufferSize bytes; what one session leaves there, the next overwrites.
    char* session_buffer() { return session_.get(); }
    DatagramBatch& datagram_batch();

  private:
    std::unique_ptr<char[]> session_;
    std::unique_ptr<DatagramBatch> batch_;
};

}  // namespace smalld
