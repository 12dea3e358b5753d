// SPDX-License-Identifier: BSD-2-Clause
// The STAMP reflector's packet path: classify, build, seal, with every auth
// mode, both timestamp formats, stateless and stateful, and a random cap.
// Every reply, sent back to the reflector, is refused as a loop.
// Authenticated inputs get a valid HMAC half of the time, so the
// authenticated layout is reached, not only the failure path. The RFC 8972
// TLV walker and the reflector's pass (every TLV handler, the HMAC TLV in
// both modes, with and without timestamp facts), the Timestamp Information
// and Follow-Up Telemetry decoders run over the input as a TLV area, and a
// dropped packet is counted by its session before the next round; each
// reply's transmit time is reported back.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "config.h"
#include "fuzz_input.h"
#include "instance.h"
#include "sender_session.h"
#include "services.h"
#include "stamp_packet.h"
#include "stamp_timestamps.h"
#include "stamp_tlv.h"

namespace {

void fuzz_sender(const fuzz::Input& in, uint64_t choice, const std::vector<uint8_t>& key,
                 smalld::Service& reflector, const smalld::SockAddr& peer) {
    namespace stamp = smalld::stamp;
    constexpr int64_t kT1 = 1'800'000'000'000'000'000;
    stamp::SenderSettings settings;
    settings.ssid = uint16_t(choice);
    settings.key = key;
    stamp::SenderSession sender(settings);
    std::vector<uint8_t> packet(1500);
    uint32_t size = uint32_t(44 + in.size % 200);
    sender.build(packet, size, kT1);
    packet.resize(std::max<size_t>(size, key.empty() ? stamp::kBaseSize : stamp::kAuthBaseSize));
    // The reflector's honest reply, then the input laid over it.
    std::vector<uint8_t> reply(packet.size());
    smalld::Datagram d;
    d.payload = packet;
    d.peer = &peer;
    d.received = smalld::wall_now();
    ptrdiff_t n = reflector.datagram(d, reply);
    reply.resize(n > 0 ? size_t(n) : 0);
    if (n > 0) reflector.seal(reply, d.seal);
    for (size_t i = 0; i < in.size && !reply.empty(); ++i)
        reply[(i * 7) % reply.size()] ^= in.data[i];
    stamp::ReplySample sample;
    unsigned samples = 0;
    for (std::span<const uint8_t> bytes :
         {std::span<const uint8_t>(in.data, in.size), std::span<const uint8_t>(reply),
          std::span<const uint8_t>(reply)}) {
        stamp::ReplyOutcome o = sender.take(bytes, choice & 1, kT1 + 1000, &sample);
        if (o.kind == stamp::ReplyOutcome::Sample) {
            ++samples;
            if (sample.seq != 0 || sample.t1 != kT1) abort();
        }
        if (o.kind == stamp::ReplyOutcome::Dropped && size_t(o.drop) >= stamp::kReplyDropReasons)
            abort();
    }
    sender.expire(kT1 + 3'000'000'000LL);
    if (samples > 1 || sender.received() != samples || sender.loss().lost() + samples != 1) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz::Input in{data, size};
    smalld::InstanceConfig config;
    config.type = smalld::ServiceType::Stamp;
    uint64_t choice = in.take(1);
    auto& settings = smalld::own_settings<smalld::StampSettings>(config);
    settings.auth = static_cast<smalld::StampAuth>(choice % 3);
    settings.timestamp = choice & 4 ? smalld::StampTimestamp::Ptp : smalld::StampTimestamp::Ntp;
    settings.stateful = choice & 8;
    settings.sessions = 1 + unsigned(in.take(1) % 8);
    bool sign = choice & 16;
    settings.key = std::string(1 + in.take(1) % 64, 'k');
    size_t cap = in.take(2) % 65528;
    int ttl = int(in.take(2) % 300) - 1;
    auto service = smalld::make_stamp_service(config);
    smalld::InstanceStats stats;
    smalld::InstanceState state;
    service->attach(stats, state);

    std::vector<uint8_t> request(in.data, in.data + in.size);
    std::vector<uint8_t> key(settings.key.begin(), settings.key.end());
    if (sign && request.size() >= smalld::stamp::kAuthBaseSize)
        smalld::stamp::hmac16(key, {request.data(), smalld::stamp::kHmacOffset},
                              request.data() + smalld::stamp::kHmacOffset);
    // The walker never reads past the area; the reflector's pass changes
    // only flags and the counters of a whole Direct Measurement TLV.
    std::vector<uint8_t> area(in.data, in.data + in.size);
    size_t end = smalld::stamp::walk_tlvs(area, [&](const smalld::stamp::Tlv& t) {
        if (t.at + smalld::stamp::kTlvHeader + t.length > area.size()) abort();
    });
    if (end > area.size()) abort();
    std::vector<smalld::stamp::Tlv> before;
    smalld::stamp::walk_tlvs(area, [&](const smalld::stamp::Tlv& t) { before.push_back(t); });
    smalld::stamp::DirectMeasurement counters{1, 2, 3};
    smalld::stamp::TimestampFacts facts;
    facts.previous_known = choice & 2;
    facts.previous = {7, 0x0102030405060708ULL, smalld::stamp::TimestampMethod::Software};
    smalld::stamp::ReflectContext ctx{choice & 32 ? &counters : nullptr};
    ctx.timestamps = choice & 4 ? &facts : nullptr;
    // Every handler: Location with either family, Class of Service with a
    // received TOS, the HMAC TLV checked and sealed in authenticated mode.
    const uint8_t address[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
    ctx.request_tos = static_cast<uint8_t>(choice);
    ctx.source = {std::span<const uint8_t>(address).last(choice & 128 ? 16 : 4), 40000};
    ctx.destination = {std::span<const uint8_t>(address), 862};
    ctx.authenticated = choice & 64;
    ctx.key = key;
    ctx.request_sequence = 7;
    ctx.reply_sequence = 8;
    smalld::stamp::ReflectOutcome outcome = smalld::stamp::reflect_tlvs(area, ctx);
    if (area.size() != in.size || outcome.reply_tos < -1 || outcome.reply_tos > 255) abort();
    // The pass changes flags and values, never a TLV's type, length or place.
    size_t i = 0;
    smalld::stamp::walk_tlvs(area, [&](const smalld::stamp::Tlv& t) {
        if (i >= before.size() || t.at != before[i].at || t.type != before[i].type ||
            t.length != before[i].length)
            abort();
        ++i;
    });
    if (i != before.size()) abort();
    smalld::stamp::DirectMeasurement found;
    smalld::stamp::find_direct_measurement(area, found);
    // The timestamp TLVs' decoders, over the area as sent and as reflected.
    smalld::stamp::TimestampInformation info;
    smalld::stamp::FollowUpTelemetry follow_up;
    smalld::stamp::find_timestamp_information({in.data, in.size}, info);
    smalld::stamp::find_follow_up_telemetry({in.data, in.size}, follow_up);
    smalld::stamp::find_timestamp_information(area, info);
    if (smalld::stamp::find_follow_up_telemetry(area, follow_up) && ctx.timestamps &&
        follow_up.sequence != (facts.previous_known ? 7u : 0u))
        abort();

    std::string error;
    smalld::SockAddr peer = *smalld::parse_endpoint("192.0.2.1:40000", &error);
    for (int round = 0; round < 2; ++round) {
        std::vector<uint8_t> reply(cap);
        smalld::Datagram d;
        d.payload = request;
        d.peer = &peer;
        d.received = smalld::wall_now();
        d.ttl = ttl;
        d.tos = int(choice) - 1;
        if (round == 1) service->note_dropped(d);
        ptrdiff_t n = service->datagram(d, reply);
        if (n == smalld::kNoReply || n == smalld::kReplyTooLarge || n == smalld::kLoopReply)
            continue;
        if (n < 0 || size_t(n) > cap) abort();
        if (d.reply_ttl != 255 || d.reply_tos < -1 || d.reply_tos > 255) abort();
        // Symmetric size: the request's, or the base packet for a short one.
        if (size_t(n) != std::max(request.size(), smalld::stamp::kBaseSize) &&
            size_t(n) != std::max(request.size(), smalld::stamp::kAuthBaseSize))
            abort();
        service->seal({reply.data(), size_t(n)}, d.seal);
        // The kernel's transmit time of this reply, for the session's next.
        if (d.tx_ticket) service->transmitted(d.tx_ticket, smalld::TxTimestamp{0, 1, round == 1});
        bool authenticated = d.seal & 2;
        if (authenticated && !smalld::stamp::hmac_matches(key, {reply.data(), size_t(n)})) abort();
        if (settings.auth == smalld::StampAuth::Required && !authenticated) abort();
        // The reply, reflected again: never answered (no loop between two reflectors).
        std::vector<uint8_t> again(65507);
        smalld::Datagram back;
        back.payload = {reply.data(), size_t(n)};
        back.peer = &peer;
        back.received = smalld::wall_now();
        if (service->datagram(back, again) >= 0) abort();
    }
    fuzz_sender(in, choice, sign ? key : std::vector<uint8_t>{}, *service, peer);
    return 0;
}
