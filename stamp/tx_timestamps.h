// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The kernel's transmit timestamps (SO_TIMESTAMPING): when each datagram
// sent on a socket actually left, read back from the socket's error queue
// (MSG_ERRQUEUE). Each report carries the datagram's number on the socket
// (SOF_TIMESTAMPING_OPT_ID: 0 for the first datagram sent after enabling,
// then 1, 2, ...) and no copy of the packet (OPT_TSONLY). Shared by the
// reflector's UDP endpoint and smallprobe.

#include <cstddef>
#include <cstdint>

namespace smalld {

// Which clock stamps a datagram's departure: the kernel's (software: as
// the packet is handed to the driver), the NIC's (hardware: needs an
// interface whose hardware timestamping is on, e.g. by ptp4l or
// hwstamp_ctl), or the NIC's where it gives one and the kernel's otherwise.
enum class TxTimestamping : uint8_t { None, Software, Hardware, Auto };

// Parses "software", "hardware", "auto"; false for anything else.
bool parse_tx_timestamping(const char* text, TxTimestamping* out);
const char* to_string(TxTimestamping mode);

// Turns transmit timestamps on (mode None: off) and restarts the
// datagram numbering at 0; hardware and auto also ask for the NIC's receive
// timestamps. Received datagrams then also carry SCM_TIMESTAMPING. False,
// errno set, when the kernel refuses.
bool enable_tx_timestamps(int fd, TxTimestamping mode);

struct TxTimestamp {
    uint32_t id = 0;        // the datagram's number on the socket
    int64_t ns = 0;         // CLOCK_REALTIME nanoseconds (hardware: the NIC's clock)
    bool hardware = false;  // taken by the NIC
};

// Reads up to `max` reports waiting on the error queue into `out`, without
// blocking; returns how many. Anything on the queue that is not a transmit
// timestamp is read and skipped.
size_t read_tx_timestamps(int fd, TxTimestamp* out, size_t max);

}  // namespace smalld
