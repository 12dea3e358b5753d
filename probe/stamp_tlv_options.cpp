// SPDX-License-Identifier: BSD-2-Clause
#include "stamp_tlv_options.h"

#include <netinet/in.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <ctime>
#include <optional>

#include "dscp.h"
#include "json_text.h"
#include "stamp_packet.h"
#include "stamp_tlv.h"

namespace smallprobe {

namespace stamp = smalld::stamp;

namespace {

constexpr size_t kAddressSub = 4 + 16;  // a Source or Destination IP Address sub-TLV

std::optional<unsigned> number(std::string_view text, unsigned most) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v > most) return std::nullopt;
    return v;
}

// ef, csN, afXY, le, be, or 0..63 (the STAMP core's, shared with the daemon).
std::optional<unsigned> dscp_value(std::string_view name) {
    return smalld::stamp::parse_dscp(name);
}

std::string hex(std::span<const uint8_t> bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string s;
    for (uint8_t b : bytes) s += {digits[b >> 4], digits[b & 15]};
    return s;
}

// An address sub-TLV's value; "-" when the reflector left it zero (did
// not fill it).
std::string address(std::span<const uint8_t> v) {
    if (std::all_of(v.begin(), v.end(), [](uint8_t b) { return b == 0; })) return "-";
    char text[64] = "?";
    if (v.size() == 4)
        std::snprintf(text, sizeof text, "%u.%u.%u.%u", v[0], v[1], v[2], v[3]);
    else if (v.size() == 16 && std::memcmp(v.data(), "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
        std::snprintf(text, sizeof text, "%u.%u.%u.%u", v[12], v[13], v[14], v[15]);
    else if (v.size() == 16)
        return "[" + hex(v) + "]";
    return text;
}

const char* tlv_name(uint8_t type) {
    switch (type) {
        case stamp::kTlvExtraPadding:
            return "extra-padding";
        case stamp::kTlvLocation:
            return "location";
        case stamp::kTlvTimestampInformation:
            return "timestamp-information";
        case stamp::kTlvClassOfService:
            return "class-of-service";
        case stamp::kTlvDirectMeasurement:
            return "direct-measurement";
        case stamp::kTlvAccessReport:
            return "access-report";
        case stamp::kTlvFollowUpTelemetry:
            return "follow-up-telemetry";
        case stamp::kTlvHmac:
            return "hmac";
        default:
            return nullptr;
    }
}

std::string describe_location(std::span<const uint8_t> v) {
    if (v.size() < stamp::kLocationMinLength) return "too short";
    // Port 0 is no port: the reflector did not fill it.
    auto port = [](uint16_t p) { return p ? std::to_string(p) : std::string("-"); };
    std::string s = "reflector saw source port " + port(stamp::load16(v.data() + 2)) +
                    ", destination port " + port(stamp::load16(v.data()));
    std::span<const uint8_t> subs = v.subspan(stamp::kLocationMinLength);
    stamp::walk_tlvs(subs, [&](const stamp::Tlv& t) {
        auto value = subs.subspan(t.at + stamp::kTlvHeader, t.length);
        bool source = t.type >= stamp::kSubSourceIp && t.type <= stamp::kSubSourceIpv6;
        bool destination =
            t.type >= stamp::kSubDestinationIp && t.type <= stamp::kSubDestinationIpv6;
        s += ", ";
        if (t.flags & stamp::kTlvUnrecognized)
            s += "sub-TLV " + std::to_string(t.type) + " unknown to the reflector";
        else if (source || destination)
            s += std::string(source ? "source " : "destination ") + address(value);
        else
            s += "sub-TLV " + std::to_string(t.type);
    });
    return s;
}

}  // namespace

bool parse_tlv_requests(std::string_view list, std::vector<TlvRequest>* out, std::string* error) {
    while (!list.empty()) {
        size_t comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
        size_t eq = item.find('=');
        std::string_view name = item.substr(0, eq);
        std::string_view arg = eq == std::string_view::npos ? "" : item.substr(eq + 1);
        TlvRequest r;
        if (name == "padding") {
            auto n = number(arg.empty() ? "0" : arg, 65000);
            if (!n)
                return *error = "padding=N: 0..65000 bytes, got \"" + std::string(arg) + "\"",
                       false;
            r = {stamp::kTlvExtraPadding, uint16_t(*n)};
        } else if (name == "location") {
            r = {stamp::kTlvLocation, uint16_t(stamp::kLocationMinLength + 2 * kAddressSub)};
        } else if (name == "cos") {
            size_t colon = arg.find(':');
            auto dscp = dscp_value(arg.substr(0, colon));
            auto ecn = colon == std::string_view::npos ? std::optional<unsigned>(0)
                                                       : number(arg.substr(colon + 1), 3);
            if (!dscp || !ecn)
                return *error =
                           "cos=DSCP[:ECN]: DSCP ef, csN, afXY, le or 0..63, ECN 0..3; got \"" +
                           std::string(arg) + "\"",
                       false;
            r = {stamp::kTlvClassOfService, uint16_t(stamp::kClassOfServiceLength), uint8_t(*dscp),
                 uint8_t(*ecn)};
        } else if (name == "access-report") {
            r = {stamp::kTlvAccessReport, uint16_t(stamp::kAccessReportLength)};
        } else if (name == "timestamp-info") {
            r = {stamp::kTlvTimestampInformation, 4};
        } else if (name == "follow-up") {
            r = {stamp::kTlvFollowUpTelemetry, 16};
        } else if (name == "hmac") {
            r = {stamp::kTlvHmac, uint16_t(stamp::kHmacTlvLength)};
        } else if (name == "type") {
            auto n = number(arg, 255);
            if (!n || *n == 0)
                return *error = "type=N: 1..255, got \"" + std::string(arg) + "\"", false;
            r = {uint8_t(*n), 4};
        } else {
            return *error = "unknown TLV \"" + std::string(item) +
                            "\" (padding=N, location, cos=DSCP[:ECN], access-report, "
                            "timestamp-info, follow-up, hmac, type=N)",
                   false;
        }
        out->push_back(r);
    }
    return true;
}

size_t tlv_requests_size(const std::vector<TlvRequest>& requests) {
    size_t n = 0;
    for (const TlvRequest& r : requests) n += stamp::kTlvHeader + r.length;
    return n;
}

void write_tlv_requests(std::span<uint8_t> area, size_t at, const std::vector<TlvRequest>& requests,
                        std::span<const uint8_t> key, uint32_t sequence) {
    for (const TlvRequest& r : requests) {
        uint8_t* t = area.data() + at;
        std::memset(t, 0, stamp::kTlvHeader + r.length);
        t[1] = r.type;
        stamp::store16(t + 2, r.length);
        uint8_t* v = t + stamp::kTlvHeader;
        if (r.type == stamp::kTlvLocation) {
            // Source and Destination IP Address sub-TLVs, 16 bytes: the
            // reflector fills either family (IPv4 as IPv4-mapped).
            v[5] = stamp::kSubSourceIp;
            stamp::store16(v + 6, 16);
            v[4 + kAddressSub + 1] = stamp::kSubDestinationIp;
            stamp::store16(v + 4 + kAddressSub + 2, 16);
        } else if (r.type == stamp::kTlvClassOfService) {
            stamp::write_class_of_service(v, {r.dscp, r.ecn, 0, 0, 0});
        } else if (r.type == stamp::kTlvAccessReport) {
            v[0] = 2 << 4;  // ID 2: a non-3GPP access network
            v[1] = 1;       // return code 1: network available
        } else if (r.type == stamp::kTlvHmac && !key.empty()) {
            stamp::tlv_area_hmac(key, sequence, area.first(at), v);
        }
        at += stamp::kTlvHeader + r.length;
    }
}

std::vector<std::string> describe_reply_tlvs(std::span<const uint8_t> area,
                                             std::span<const uint8_t> key, uint32_t sequence) {
    std::vector<std::string> lines;
    size_t end = stamp::walk_tlvs(area, [&](const stamp::Tlv& t) {
        if (t.type == 0) return;  // zero padding
        const char* name = tlv_name(t.type);
        std::string s = name ? name : "type " + std::to_string(t.type);
        if (t.flags & stamp::kTlvUnrecognized) s += " U";
        if (t.flags & stamp::kTlvMalformed) s += " M";
        if (t.flags & stamp::kTlvIntegrity) s += " I";
        s += ": ";
        auto v = area.subspan(t.at + stamp::kTlvHeader, t.length);
        if (t.flags & (stamp::kTlvUnrecognized | stamp::kTlvMalformed)) {
            s += t.flags & stamp::kTlvUnrecognized ? "not recognised by the reflector"
                                                   : "malformed, says the reflector";
        } else if (t.type == stamp::kTlvExtraPadding) {
            s += std::to_string(t.length) + " bytes";
        } else if (t.type == stamp::kTlvLocation) {
            s += describe_location(v);
        } else if (t.type == stamp::kTlvClassOfService && v.size() == 4) {
            stamp::ClassOfService c = stamp::read_class_of_service(v.data());
            s += "asked DSCP " + std::to_string(c.dscp1) + " ECN " + std::to_string(c.ecn1) +
                 ", reflector received DSCP " + std::to_string(c.dscp2) + " ECN " +
                 std::to_string(c.ecn2) + (c.rp ? ", RP: DSCP not used" : ", RP 0: used");
        } else if (t.type == stamp::kTlvDirectMeasurement && v.size() == 12) {
            s += "S_TX " + std::to_string(stamp::load32(v.data())) + ", R_RX " +
                 std::to_string(stamp::load32(v.data() + 4)) + ", R_TX " +
                 std::to_string(stamp::load32(v.data() + 8));
        } else if (t.type == stamp::kTlvAccessReport && v.size() == 4) {
            s += "id " + std::to_string(v[0] >> 4) + ", return code " + std::to_string(v[1]);
        } else if (t.type == stamp::kTlvHmac && v.size() == stamp::kHmacTlvLength) {
            uint8_t expected[stamp::kHmacTlvLength];
            stamp::tlv_area_hmac(key, sequence, area.first(t.at), expected);
            s += key.empty()                                        ? "not checked (no key)"
                 : CRYPTO_memcmp(expected, v.data(), v.size()) == 0 ? "verified"
                                                                    : "FAILED verification";
        } else {
            s +=
                std::to_string(t.length) + " bytes " + hex(v.first(std::min<size_t>(v.size(), 16)));
        }
        lines.push_back(s);
    });
    if (end < area.size()) lines.push_back("(a TLV runs past the end of the reply)");
    return lines;
}

void enable_reply_header(int fd, int family) {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    if (family == AF_INET) {
        setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof one);
        setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one);
    } else {
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof one);
        setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one);
    }
}

ReplyHeader read_reply_header(msghdr& h) {
    ReplyHeader r;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            timespec ts;
            std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
            r.t4 = int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
        } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
            r.tos = *CMSG_DATA(c);  // one byte
        } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
            std::memcpy(&r.ttl, CMSG_DATA(c), sizeof r.ttl);
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
            std::memcpy(&r.tos, CMSG_DATA(c), sizeof r.tos);
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
            std::memcpy(&r.ttl, CMSG_DATA(c), sizeof r.ttl);
        }
    }
    return r;
}

void LastReply::note(const ReplyHeader& header, std::span<const uint8_t> tlvs, uint32_t sequence) {
    header_ = header;
    tlvs_.assign(tlvs.begin(), tlvs.end());
    sequence_ = sequence;
}

ReplyExtensions LastReply::describe(std::span<const uint8_t> key) const {
    ReplyExtensions e;
    e.asked = true;
    e.tos = header_.tos;
    e.ttl = header_.ttl;
    e.tlvs = describe_reply_tlvs(tlvs_, key, sequence_);
    return e;
}

void print_reply_extensions(FILE* out, const ReplyExtensions& e) {
    if (!e.asked) return;
    std::fprintf(out, "last reply: ");
    if (e.tos >= 0)
        std::fprintf(out, "DSCP %d ECN %d", e.tos >> 2, e.tos & 3);
    else
        std::fprintf(out, "DSCP - ECN -");
    if (e.ttl >= 0)
        std::fprintf(out, ", TTL %d\n", e.ttl);
    else
        std::fprintf(out, ", TTL -\n");
    for (const std::string& line : e.tlvs) std::fprintf(out, "  tlv %s\n", line.c_str());
}

void json_reply_extensions(FILE* out, const ReplyExtensions& e) {
    if (!e.asked) return;
    auto known = [](int v) { return v >= 0 ? std::to_string(v) : std::string("null"); };
    std::fprintf(out, "\"reply_dscp\":%s,\"reply_ecn\":%s,\"reply_ttl\":%s,\"tlvs\":[",
                 known(e.tos >= 0 ? e.tos >> 2 : -1).c_str(),
                 known(e.tos >= 0 ? e.tos & 3 : -1).c_str(), known(e.ttl).c_str());
    for (size_t i = 0; i < e.tlvs.size(); ++i)
        std::fprintf(out, "%s%s", i ? "," : "", json_quoted(e.tlvs[i]).c_str());
    std::fprintf(out, "],");
}

}  // namespace smallprobe
