// SPDX-License-Identifier: BSD-2-Clause
// The stamp-sender's configuration without a daemon: the peer syntax of the
// contract (NAME ADDRESS[:PORT] or ADDRESS[:PORT], [IPv6]:PORT, port 862),
// a peers_file glob whose bad line is an error at its own FILE:LINE, a name
// used twice, and the keys' ranges.
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "config.h"
#include "stamp_sender_peers.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;

namespace {

void expect_peer(const char* text, const char* name, const char* host, uint16_t port) {
    std::string error;
    auto p = parse_peer(text, &error);
    if (!p) fail_msg("%s: %s", text, error.c_str());
    assert_str_eq(p->name, name);
    assert_str_eq(p->host, host);
    assert_int_equal(p->port, port);
}

void peer_syntax(void**) {
    expect_peer("berlin 192.0.2.10", "berlin", "192.0.2.10", 862);
    expect_peer("paris [2001:db8::7]:863", "paris", "2001:db8::7", 863);
    expect_peer("lab stamp.example.net", "lab", "stamp.example.net", 862);
    expect_peer("192.0.2.10:8620", "192.0.2.10:8620", "192.0.2.10", 8620);
    expect_peer("[2001:db8::9]", "[2001:db8::9]", "2001:db8::9", 862);
    expect_peer("2001:db8::9", "2001:db8::9", "2001:db8::9", 862);
    std::string error;
    for (const char* bad : {"a b c", "x 192.0.2.1:0", "x 192.0.2.1:99999", "x [::1", "x [nope]:1",
                            "x bad/name", "x 192.0.2.1:"})
        if (parse_peer(bad, &error)) fail_msg("\"%s\" was taken", bad);
}

void peers_file_errors_at_their_line(void**) {
    char dir[] = "/tmp/smalld-peers.XXXXXX";
    assert_non_null(mkdtemp(dir));
    std::string path = std::string(dir) + "/a.txt";
    std::ofstream(path) << "# the lab\nberlin 192.0.2.10\n\nparis [2001:db8::7]:70000\n";
    std::ofstream(std::string(dir) + "/b.txt") << "berlin 192.0.2.11  # again\n";
    std::string ini =
        "[mesh]\ntype = stamp-sender\npeers = lab 192.0.2.1\npeers_file = " + std::string(dir) +
        "/*.txt\n";
    ConfigResult r = parse_config(ini, "smalld.ini");
    assert_false(r.ok());
    std::string all;
    for (const auto& e : r.errors) all += e.to_string() + "\n";
    assert_true(all.find(path + ":4: peer: expected a port 1..65535, got \"70000\"") !=
                std::string::npos);
    assert_true(all.find(std::string(dir) + "/b.txt:1: peer \"berlin\" is named twice") !=
                std::string::npos);
    unlink(path.c_str());
    std::ofstream(path) << "paris [2001:db8::7]\n";
    r = parse_config(ini, "smalld.ini");
    for (const auto& e : r.errors) fail_msg("%s", e.to_string().c_str());
    auto peers = all_peers(own_settings<StampSenderSettings>(r.config->instances.at(0)));
    assert_int_equal(peers.size(), 3);
    assert_str_eq(peers[0].name, "lab");  // `peers` first, then the files in order
    assert_str_eq(peers[1].name, "paris");
    assert_str_eq(peers[1].origin, path + ":1");
    assert_str_eq(peers[2].name, "berlin");
    unlink(path.c_str());
    unlink((std::string(dir) + "/b.txt").c_str());
    rmdir(dir);
}

void keys_and_ranges(void**) {
    ConfigResult r = parse_config(
        "[mesh]\ntype = stamp-sender\ninterval = 10ms\nsize = 44, 1400\ndscp = ef\n"
        "export = rtt, loss\n",
        "smalld.ini");
    assert_true(r.ok());
    const auto& s = own_settings<StampSenderSettings>(r.config->instances.at(0));
    assert_int_equal(s.interval.count(), 10);
    assert_int_equal(s.sizes.size(), 2);
    assert_int_equal(s.dscp, 46);
    assert_int_equal(s.exported, kExportRtt | kExportLoss);
    assert_true(r.config->instances.at(0).udp.empty());  // it listens on nothing
    for (const char* bad :
         {"interval = 2h", "size = 20", "udp = 127.0.0.1:862", "auth = optional", "auth = required",
          // 360,000 packets outstanding a peer: settled as lost early
          "interval = 10ms\ntimeout = 1h"})
        if (parse_config(std::string("[mesh]\ntype = stamp-sender\n") + bad + "\n", "x.ini").ok())
            fail_msg("\"%s\" was taken", bad);
    // The most outstanding packets the ring holds is still a valid pair.
    if (!parse_config("[mesh]\ntype = stamp-sender\ninterval = 10ms\ntimeout = 40s\n", "x.ini")
             .ok())
        fail_msg("interval = 10ms, timeout = 40s (4,000 outstanding) was refused");
}

}  // namespace

int main() {
    return run_test_group({cmocka_unit_test(peer_syntax),
                           cmocka_unit_test(peers_file_errors_at_their_line),
                           cmocka_unit_test(keys_and_ranges)});
}
