// SPDX-License-Identifier: BSD-2-Clause
// The STAMP reflector over real sockets: its replies decoded field by field
// by a third-party decoder (Debian's python3-scapy, scapy.contrib.stamp) for
// unauthenticated, authenticated, padded, TLV-carrying (every RFC 8972 TLV,
// an unknown one with U set, the HMAC TLV), TWAMP-Light and IPv6 requests,
// the HMACs verified with Python's hmac; DSCP EF in, EF out and TTL 255 read
// with IP_RECVTOS/IP_RECVTTL; the counters it keeps (the auth = optional
// downgrade among them).
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace harness;

namespace {

std::string config(const KeyFile& key) {
    return "[control]\nsocket = @DIR@/control.sock\n"
           "[stamp]\nudp = 127.0.0.1:0, [::1]:0\nrate = 0/s\n"
           "[stamp-auth]\ntype = stamp\nudp = 127.0.0.1:0\nauth = required\nkey_file = " +
           key.path +
           "\n"
           "[stamp-optional]\ntype = stamp\nudp = 127.0.0.1:0\nauth = optional\nkey_file = " +
           key.path + "\n";
}

}  // namespace

static void scapy_decodes_every_kind_of_reply(void**) {
    harness::KeyFile key("a shared secret for the test\n");
    TestDaemon d(config(key));
    assert_true(d.started());
    std::string script = env_or("SMALLD_SOURCE_DIR", ".") + "/tests/integration/stamp_scapy.py";
    std::string command = "/usr/bin/python3 " + script + " " +
                          std::to_string(d.port("stamp", "udp")) + " " +
                          std::to_string(d.port("stamp", "udp", AF_INET6)) + " " +
                          std::to_string(d.port("stamp-auth", "udp")) + " " +
                          std::to_string(d.port("stamp-optional", "udp")) + " " + key.path;
    int status = 0;
    std::string out = run(command + " 2>&1", &status, 60);
    fprintf(stderr, "%s", out.c_str());
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) skip();
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    // Counted in the one stats model: the wrong-key and unauthenticated
    // packets to [stamp-auth] as authentication failures, 13 bytes as malformed.
    assert_int_equal(protect::stat(d, "stamp-auth", "udp", "stamp.auth_failures_total"), 2);
    assert_int_equal(protect::stat(d, "stamp", "udp", "stamp.malformed_total"), 1);
    assert_int_equal(protect::stat(d, "stamp", "udp", "stamp.reflected_total"), 8);
    nlohmann::json buckets =
        protect::stats_json(d)["instances"]["stamp"]["udp"]["stamp"]["processing_seconds_bucket"];
    assert_true(buckets.is_array() && !buckets.empty());
    assert_true(buckets.back() == nlohmann::json::array({"+Inf", 8}));
    // auth = optional answered the wrong-key packet unauthenticated: counted.
    assert_int_equal(protect::stat(d, "stamp-optional", "udp", "stamp.auth_downgraded_total"), 1);
    assert_int_equal(protect::stat(d, "stamp", "udp", "stamp.auth_downgraded_total"), 0);
}

// smallprobe stamp against a reflector of the older kind: 41-byte replies
// and T3 equal to T2. Every packet is answered, the hop count read from
// byte 40, processing reads 0.
static void smallprobe_interoperates_with_short_replies(void**) {
    std::string dir = env_or("SMALLD_SOURCE_DIR", ".") + "/tests/integration/";
    std::string probe = harness::smallprobe_bin();
    // The reflector prints its port on its first line; smallprobe reads it.
    std::string command = "/usr/bin/python3 " + dir +
                          "twamp_light_reflector.py 20 > reflector.port & "
                          "for i in $(seq 200); do [ -s reflector.port ] && break; sleep 0.1; "
                          "done; " +
                          probe +
                          " stamp -n 20 -i 5ms -j 127.0.0.1:$(head -n 1 reflector.port); wait";
    char tmpl[] = "/tmp/smalld-twamp.XXXXXX";
    std::string work = mkdtemp(tmpl);
    int status = 0;
    std::string out = run("cd " + work + " || exit 1; " + command, &status, 60);
    run("rm -rf " + work);
    fprintf(stderr, "%s", out.c_str());
    auto j = nlohmann::json::parse(out, nullptr, false);
    assert_false(j.is_discarded());
    assert_int_equal(j["received"].get<int>(), 20);
    assert_int_equal(j["short_replies"].get<int>(), 0);
    assert_int_equal(j["hops"].get<int>(), 0);
    assert_true(j["processing"]["max"].get<double>() < 0.01);
    assert_false(j["stateful_reflector"].get<bool>());
    assert_true(j["lost_forward"].is_null());
}

int main() {
    return run_test_group({cmocka_unit_test(scapy_decodes_every_kind_of_reply),
                           cmocka_unit_test(smallprobe_interoperates_with_short_replies)});
}
