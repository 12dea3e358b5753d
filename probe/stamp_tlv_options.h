// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// smallprobe stamp --tlv: the RFC 8972 TLVs the sender adds after its
// Direct Measurement TLV, what the reflector returned in them, and the
// reply's IP header fields (TOS, TTL) the kernel reports.

#include <sys/socket.h>

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smallprobe {

// One TLV to send: its type and value length; for Class of Service, the
// DSCP and ECN the reply should carry.
struct TlvRequest {
    uint8_t type = 0;
    uint16_t length = 0;
    uint8_t dscp = 0, ecn = 0;
};

// Appends the TLVs of one --tlv LIST ("padding=N,location,cos=ef,
// access-report,timestamp-info,follow-up,hmac,type=N"); false with a message.
bool parse_tlv_requests(std::string_view list, std::vector<TlvRequest>* out, std::string* error);
// Their bytes, headers included.
size_t tlv_requests_size(const std::vector<TlvRequest>& requests);
// Writes them into `area` (the bytes after the base packet) from `at`; an
// HMAC TLV gets the HMAC of `sequence` and every TLV before it (RFC 8972
// 4.8) with `key`.
void write_tlv_requests(std::span<uint8_t> area, size_t at, const std::vector<TlvRequest>& requests,
                        std::span<const uint8_t> key, uint32_t sequence);
// One line a TLV of a reply's `area`: its name, its U/M/I flags and what
// its value says. An HMAC TLV is checked with `key` (empty: not checked)
// over the reply's `sequence`.
std::vector<std::string> describe_reply_tlvs(std::span<const uint8_t> area,
                                             std::span<const uint8_t> key, uint32_t sequence);

// The reply's receive time (SO_TIMESTAMPNS; 0 when the kernel gave none),
// TOS / traffic class and TTL / hop limit (-1 unknown).
struct ReplyHeader {
    int64_t t4 = 0;
    int tos = -1, ttl = -1;
};
void enable_reply_header(int fd, int family);
ReplyHeader read_reply_header(msghdr& h);

// What the last reply said: the text lines and the JSON fields.
struct ReplyExtensions {
    bool asked = false;  // --tlv was given
    int tos = -1, ttl = -1;
    std::vector<std::string> tlvs;
};
// Keeps the last reply's header and TLVs; describes them after the run.
class LastReply {
  public:
    void note(const ReplyHeader& header, std::span<const uint8_t> tlvs, uint32_t sequence);
    ReplyExtensions describe(std::span<const uint8_t> key) const;

  private:
    ReplyHeader header_;
    std::vector<uint8_t> tlvs_;
    uint32_t sequence_ = 0;
};

void print_reply_extensions(FILE* out, const ReplyExtensions& e);
void json_reply_extensions(FILE* out, const ReplyExtensions& e);

}  // namespace smallprobe
