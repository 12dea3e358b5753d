// SPDX-License-Identifier: BSD-2-Clause
#include "tx_timestamps.h"

#include <time.h>
// After <time.h>: it uses struct timespec.
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>

namespace smalld {

bool parse_tx_timestamping(const char* text, TxTimestamping* out) {
    for (TxTimestamping mode :
         {TxTimestamping::Software, TxTimestamping::Hardware, TxTimestamping::Auto})
        if (std::strcmp(text, to_string(mode)) == 0) {
            *out = mode;
            return true;
        }
    return false;
}

const char* to_string(TxTimestamping mode) {
    switch (mode) {
        case TxTimestamping::Software:
            return "software";
        case TxTimestamping::Hardware:
            return "hardware";
        case TxTimestamping::Auto:
            return "auto";
        case TxTimestamping::None:
            break;
    }
    return "none";
}

bool enable_tx_timestamps(int fd, TxTimestamping mode) {
    // Off first: turning OPT_ID on restarts the numbering only when it was off.
    int off = 0;
    if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &off, sizeof off) != 0) return false;
    if (mode == TxTimestamping::None) return true;
    int flags = SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
    if (mode != TxTimestamping::Hardware) flags |= SOF_TIMESTAMPING_TX_SOFTWARE;
    // Hardware: the NIC's receive times too (the datagram's SCM_TIMESTAMPING).
    if (mode != TxTimestamping::Software)
        flags |= SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RX_HARDWARE |
                 SOF_TIMESTAMPING_RAW_HARDWARE;
    // The kernel's timestamps go in SCM_TIMESTAMPING; SOFTWARE reports them.
    flags |= SOF_TIMESTAMPING_SOFTWARE;
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags) == 0;
}

namespace {

// One report: the timestamps and the extended error that numbers it.
bool parse_report(msghdr& h, TxTimestamp& out) {
    const scm_timestamping* stamps = nullptr;
    const sock_extended_err* err = nullptr;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING &&
            c->cmsg_len >= CMSG_LEN(sizeof(scm_timestamping)))
            stamps = reinterpret_cast<const scm_timestamping*>(CMSG_DATA(c));
        else if (((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
                  (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) &&
                 c->cmsg_len >= CMSG_LEN(sizeof(sock_extended_err)))
            err = reinterpret_cast<const sock_extended_err*>(CMSG_DATA(c));
    }
    if (!stamps || !err || err->ee_errno != ENOMSG || err->ee_origin != SO_EE_ORIGIN_TIMESTAMPING ||
        err->ee_info != SCM_TSTAMP_SND)
        return false;
    scm_timestamping ts;
    std::memcpy(&ts, stamps, sizeof ts);
    const timespec& used = ts.ts[2].tv_sec || ts.ts[2].tv_nsec ? ts.ts[2] : ts.ts[0];
    if (!used.tv_sec && !used.tv_nsec) return false;
    out.id = err->ee_data;
    out.ns = int64_t(used.tv_sec) * 1'000'000'000 + used.tv_nsec;
    out.hardware = &used == &ts.ts[2];
    return true;
}

}  // namespace

size_t read_tx_timestamps(int fd, TxTimestamp* out, size_t max) {
    constexpr unsigned kBatch = 16;
    size_t found = 0;
    while (found < max) {
        mmsghdr msgs[kBatch];
        alignas(cmsghdr) uint8_t control[kBatch][256];
        uint8_t data[kBatch][64];  // OPT_TSONLY: no packet comes back
        iovec iov[kBatch];
        for (unsigned i = 0; i < kBatch; ++i) {
            iov[i] = {data[i], sizeof data[i]};
            msgs[i] = {};
            msgs[i].msg_hdr.msg_iov = &iov[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_control = control[i];
            msgs[i].msg_hdr.msg_controllen = sizeof control[i];
        }
        // No more than `max` may hold: a report read is gone from the queue.
        unsigned want = max - found < kBatch ? unsigned(max - found) : kBatch;
        int n = recvmmsg(fd, msgs, want, MSG_ERRQUEUE | MSG_DONTWAIT, nullptr);
        if (n <= 0) break;
        for (int i = 0; i < n; ++i)
            if (parse_report(msgs[i].msg_hdr, out[found])) ++found;
        if (unsigned(n) < want) break;
    }
    return found;
}

}  // namespace smalld
