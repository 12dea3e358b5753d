// SPDX-License-Identifier: BSD-2-Clause
#include "udp_flow.h"

#include <string>

#include "udp_wire.h"

namespace smallprobe {
namespace {

std::optional<uint64_t> echoed_seq(Run& run, const uint8_t* datagram, size_t len) {
    run.result().bytes_received += len;
    if (len < kSeqBytes) {
        run.bad_reply("datagram shorter than the 8-byte sequence number");
        return std::nullopt;
    }
    return udp_echo_seq(datagram);
}

std::optional<DatagramLedger::Reply> counted_reply(Run& run, DatagramLedger& ledger, uint64_t seq) {
    const DatagramLedger::Reply reply = ledger.reply(seq);
    if (reply == DatagramLedger::Reply::Unsent) {
        run.bad_reply("reply to a datagram that was never sent");
        return std::nullopt;
    }
    if (reply == DatagramLedger::Reply::Duplicate) {
        ++run.result().duplicates;
        return std::nullopt;
    }
    ++run.result().received;
    return reply;
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

}  // namespace

std::optional<EchoReply> checked_echo(Run& run, DatagramLedger& ledger,
                                      const ConnectionStream& stream, const uint8_t* datagram,
                                      size_t len, bool* reached) {
    const std::optional<uint64_t> seq = echoed_seq(run, datagram, len);
    if (!seq) return std::nullopt;
    const std::optional<DatagramLedger::Reply> reply = counted_reply(run, ledger, *seq);
    if (!reply) return std::nullopt;
    verify_echo(run, datagram, len, udp_payload_for(stream, *seq), reached);
    return EchoReply{*seq, *reply};
}

}  // namespace smallprobe
