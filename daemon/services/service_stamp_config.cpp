// SPDX-License-Identifier: BSD-2-Clause
// The stamp type's configuration: its own keys (config_table.h), the check
// across them, and its row in the catalogue (service_registry.h). The
// reflector itself is service_stamp.cpp.
#include "parse.h"
#include "service_registry.h"
#include "services.h"
#include "stamp_key_file.h"
#include "stamp_sender_peers.h"

namespace smalld {

std::string check_stamp_config(const InstanceConfig& config) {
    const StampSettings& settings = own_settings<StampSettings>(config);
    if (settings.auth != StampAuth::None && settings.key.empty())
        return "auth = " +
               std::string(settings.auth == StampAuth::Required ? "required" : "optional") +
               " needs key_file";
    return {};
}

// Shared with stamp-sender (its kTypeSpec lists them too: one row for both).
extern const KeySpec kStampAuthKey{
    Scope::Instance,
    "auth",
    "none",
    "stamp, stamp-sender: none | required | optional (HMAC-SHA-256 with key_file; optional "
    "also answers unauthenticated packets; not for stamp-sender)",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        return assign(auth_settings(*i).auth,
                      parse_keyword<StampAuth>(v,
                                               {{"none", StampAuth::None},
                                                {"required", StampAuth::Required},
                                                {"optional", StampAuth::Optional}},
                                               e));
    }};

extern const KeySpec kStampKeyFileKey{
    Scope::Instance,
    "key_file",
    "",
    "stamp, stamp-sender: file holding the HMAC key (its bytes, a final newline removed); mode "
    "0600 or stricter",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        return load_stamp_key(auth_settings(*i), v, e);
    },
    /*names_file=*/true};

// The type's own keys (config_table.h) and its row in the catalogue.
namespace {

const KeySpec kModeKey{
    Scope::Instance,
    "mode",
    "stateless",
    "stamp: stateless (copy the sender's sequence number) | stateful (count per session)",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        return assign(own_settings<StampSettings>(*i).stateful,
                      parse_keyword<bool>(v, {{"stateless", false}, {"stateful", true}}, e));
    }};

const KeySpec kTimestampKey{
    Scope::Instance,
    "timestamp",
    "ntp",
    "stamp: ntp | ptp (the format of T2 and T3)",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        return assign(own_settings<StampSettings>(*i).timestamp,
                      parse_keyword<StampTimestamp>(
                          v, {{"ntp", StampTimestamp::Ntp}, {"ptp", StampTimestamp::Ptp}}, e));
    }};

const KeySpec kSessionsKey{
    Scope::Instance,
    "sessions",
    "1024",
    "stamp, stateful: sessions (sender address, port, SSID) remembered; the least recently seen "
    "makes room",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        return assign(own_settings<StampSettings>(*i).sessions, parse_uint(v, 1, 1'000'000, e));
    }};

const KeySpec kSessionTimeoutKey{
    Scope::Instance,
    "session_timeout",
    "5m",
    "stamp, stateful: a session idle this long is forgotten",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        return assign(own_settings<StampSettings>(*i).session_timeout, parse_duration(v, e));
    }};

const KeySpec kReflectDscpKey{
    Scope::Instance,
    "reflect_dscp",
    "yes",
    "stamp: yes | no (a reply without a Class of Service TLV carries the request's DSCP)",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        return assign(own_settings<StampSettings>(*i).reflect_dscp, parse_bool(v, e));
    }};

const KeySpec kTimestampingKey{
    Scope::Instance,
    "timestamping",
    "auto",
    "stamp: software | hardware | auto (the kernel's or the NIC's transmit time of each reply, "
    "for the Follow-Up Telemetry TLV; auto: the NIC's where it gives one)",
    0,
    [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
        if (!parse_tx_timestamping(std::string(v).c_str(),
                                   &own_settings<StampSettings>(*i).timestamping)) {
            *e = expected_one_of(
                {to_string(TxTimestamping::Software), to_string(TxTimestamping::Hardware),
                 to_string(TxTimestamping::Auto)},
                v);
            return false;
        }
        return true;
    }};

const KeySpec* const kKeys[] = {&kStampAuthKey,   &kStampKeyFileKey, &kModeKey,
                                &kTimestampKey,   &kSessionsKey,     &kSessionTimeoutKey,
                                &kReflectDscpKey, &kTimestampingKey};

// No per-source rate limit: a reply is never larger than its request and is
// capped, so a reflector amplifies nothing, and a sender's probes dropped by
// the reflector's own limit would look like path loss. Reflection loops are
// stopped by the loop guard, not by the rate.
const KeyDefault kDefaults[] = {{"rate", "0/s"}};

}  // namespace

// RFC 8762: UDP only; the cap never forbids the 44-byte base reply.
extern const ServiceSpec kStampSpec{
    .title = "STAMP reflector (RFC 8762)",
    .standard_port = 862,
    .tcp = false,
    .udp_reply_floor = 44,
    .datagram_metadata = kMetadataReceiveTime | kMetadataTtl | kMetadataTos,
    .make = [](const InstanceConfig& c, StatusRenderer&) { return make_stamp_service(c); },
    .settings = own_settings_of<StampSettings>,
    .keys = kKeys,
    .defaults = kDefaults,
    .check = check_stamp_config,
};

}  // namespace smalld
