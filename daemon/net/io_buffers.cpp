// SPDX-License-Identifier: BSD-2-Clause
#include "io_buffers.h"

namespace smalld {

IoBuffers::IoBuffers() : session_(new char[kSessionBufferSize]) {}
IoBuffers::~IoBuffers() = default;

DatagramBatch& IoBuffers::datagram_batch() {
    if (!batch_) batch_ = std::make_unique<DatagramBatch>();
    return *batch_;
}

}  // namespace smalld
