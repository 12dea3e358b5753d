// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The UDP echo datagram: an 8-byte sequence number, then the flow's pattern
// from an offset derived from that number, so every reply can be matched to
// its request and verified byte by byte.

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>
#include <cstring>

#include "pattern.h"

namespace smallprobe {

constexpr size_t kSeqBytes = sizeof(uint64_t);

inline const uint8_t* udp_payload_for(const ConnectionStream& stream, uint64_t seq) {
    return stream.at(seq * 8);
}

// One sendmsg() with the header and the pattern as two pieces: no copying.
inline ssize_t send_udp_echo(int fd, uint64_t seq, const uint8_t* payload, size_t size) {
    iovec parts[2] = {{&seq, kSeqBytes}, {const_cast<uint8_t*>(payload), size - kSeqBytes}};
    msghdr message{};
    message.msg_iov = parts;
    message.msg_iovlen = 2;
    return sendmsg(fd, &message, 0);
}

inline uint64_t udp_echo_seq(const uint8_t* datagram) {
    uint64_t seq = 0;
    std::memcpy(&seq, datagram, kSeqBytes);
    return seq;
}

}  // namespace smallprobe
