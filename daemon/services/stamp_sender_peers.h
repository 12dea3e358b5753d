// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The stamp-sender's settings and its peers, as configured: `peers` (a
// comma list) and `peers_file` (a glob; one peer a line, '#' comments), each
// peer `NAME ADDRESS[:PORT]` or `ADDRESS[:PORT]` (then its name is the
// address as written), ADDRESS an IPv4 address, [IPv6] or a host name, the
// port 862 by default. Pure: the files are read, never a socket.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config.h"
#include "services.h"

namespace smalld {

struct SenderPeer {
    std::string name;
    std::string host;  // an address literal (without brackets) or a name to resolve
    uint16_t port = 862;
    std::string origin;  // "FILE:LINE" where it was written
    // A reload keeps a peer's session and history when these are unchanged.
    bool same_target(const SenderPeer& o) const {
        return name == o.name && host == o.host && port == o.port;
    }
};

// Which families `export` keeps (smalld.ini(5)); `up` is always exported.
enum SenderExport : unsigned {
    kExportRtt = 1,
    kExportNetworkRtt = 2,
    kExportOneWay = 4,
    kExportLoss = 8,
    kExportCounters = 16,
    kExportHops = 32,
    kExportClock = 64,
    kExportCapacity = 128,
    kExportAll = 255,
};

struct StampSenderSettings {
    std::vector<SenderPeer> peers;       // from `peers`
    std::string peers_file;              // the glob
    std::vector<SenderPeer> file_peers;  // from the files it matches (load)
    Duration interval{1000};
    std::vector<uint32_t> sizes{60};  // the least that carries the counts
    StampSettings auth;               // auth, key_file and key: the keys the reflector has
    int dscp = 0;
    Duration window{60'000};
    Duration timeout{3000};
    unsigned exported = kExportAll;
    int receive_buffer = 4 << 20;  // bytes asked of the kernel for the replies
};

// The auth, key_file and key of a stamp or stamp-sender instance: the two
// types share those keys (service_stamp_config.cpp).
StampSettings& auth_settings(InstanceConfig& instance);

// One peer; nullopt and *error when it is not of the syntax.
std::optional<SenderPeer> parse_peer(std::string_view text, std::string* error);
// `peers`, `size` and `export` values.
std::optional<std::vector<SenderPeer>> parse_peer_list(std::string_view text, std::string* error);
std::optional<std::vector<uint32_t>> parse_sizes(std::string_view text, std::string* error);
std::optional<unsigned> parse_export(std::string_view text, std::string* error);

// Reads every file `glob` matches, in lexical order, appending its peers to
// `out` and an error per bad line (FILE:LINE). A glob that matches nothing
// is no error (an empty peers.d).
void load_peers_files(const std::string& glob, std::vector<SenderPeer>& out,
                      std::vector<ConfigError>& errors);

// The peers of `peers` and the files together; an error for a name used twice.
std::vector<SenderPeer> all_peers(const StampSenderSettings& settings,
                                  std::vector<ConfigError>* errors = nullptr);

}  // namespace smalld
