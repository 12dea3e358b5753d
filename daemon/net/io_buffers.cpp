// SPDX-License-Identifier: BSD-2-Clause
#include "io_buffers.h"

namespace smalld {

IoBuffers::IoBuffers() : session_(new char[kSessionBufferSize]) {}
IoBuffers::~IoBuffers() = default;

void DatagramBatch::prepare_receive() {
    for (unsigned i = 0; i < kSize; ++i) {
        recv_iov[i] = {in.get() + i * kMaxDatagram, kMaxDatagram};
        msghdr& h = recv_msgs[i].msg_hdr;
        h = {};
        h.msg_name = &sources[i].storage;
        h.msg_iov = &recv_iov[i];
        h.msg_iovlen = 1;
        h.msg_control = recv_control[i];
    }
    rearm_receive(kSize);
    receive_prepared = true;
}

void DatagramBatch::rearm_receive(unsigned count) {
    for (unsigned i = 0; i < count && i < kSize; ++i) {
        msghdr& h = recv_msgs[i].msg_hdr;
        h.msg_namelen = sizeof sources[i].storage;
        h.msg_controllen = kDatagramControlSize;
        h.msg_flags = 0;
    }
}

DatagramBatch& IoBuffers::datagram_batch() {
    if (!batch_) batch_ = std::make_unique<DatagramBatch>();
    return *batch_;
}

}  // namespace smalld
