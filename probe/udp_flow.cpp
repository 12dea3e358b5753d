#include "udp_flow.h"

#include <string>

#include "udp_wire.h"

namespace smallprobe {

std::optional<uint64_t> echoed_seq(Run& run, const uint8_t* datagram, size_t len) {
    run.result().bytes_received += len;
    if (len < kSeqBytes) {
        run.bad_reply("datagram shorter than the 8-byte sequence number");
        return std::nullopt;
    }
    return udp_echo_seq(datagram);
}

void verify_echo(Run& run, const uint8_t* datagram, size_t len, const uint8_t* sent,
                 bool* reached) {
    const size_t size = run.options().size;
    if (len != size) {
        run.bad_reply("echoed datagram of " + std::to_string(len) + " bytes, sent " +
                      std::to_string(size));
    } else {
        run.result().mismatched_bytes +=
            count_mismatches(datagram + kSeqBytes, sent, size - kSeqBytes);
    }
    note_answer(run, reached);
}

}  // namespace smallprobe
