// SPDX-License-Identifier: BSD-2-Clause
// Timestamps taken where they should be, on loopback: smallprobe stamp's T1
// is the kernel's transmit time of each request and the reflector's T3 its
// kernel transmit time of each reply (sent in the session's next reply, the
// Follow-Up Telemetry TLV). Both are later than the user-space clock
// readings, so the forward delay shrinks and the processing time grows; the
// test prints both readings of each. The reflector says how it took T2 and
// T3 (Timestamp Information TLV), and --timestamping user is the old
// behaviour, said as such. The authenticated and unauthenticated forward
// delays are printed side by side (measured, never asserted).
#include <nlohmann/json.hpp>
#include <string>

#include "harness.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace harness;

namespace {

nlohmann::json probe_json(const std::string& args, uint16_t port) {
    int status = 0;
    std::string out = smallprobe(
        "stamp -n 40 -i 2ms -w 5s -j " + args + " 127.0.0.1:" + std::to_string(port), &status);
    auto j = nlohmann::json::parse(out, nullptr, false);
    if (j.is_discarded()) fprintf(stderr, "smallprobe printed: %s\n", out.c_str());
    assert_false(j.is_discarded());
    assert_int_equal(j["received"].get<int>(), 40);
    return j;
}

}  // namespace

static void kernel_transmit_times_replace_the_clock_readings(void**) {
    KeyFile key;
    TestDaemon d("[control]\nsocket = @DIR@/control.sock\n" +
                 stamp_pair(key, "mode = stateful\n", ""));
    assert_true(d.started());
    uint16_t port = d.port("stamp", "udp"), auth_port = d.port("stamp-auth", "udp");

    nlohmann::json j = probe_json("", port);
    const nlohmann::json& t = j["timestamps"];
    fprintf(stderr, "timestamps: %s\n", t.dump().c_str());
    // Both readings of each (null: the run had no such pair).
    fprintf(stderr, "T1: kernel - user p50 %s us; forward p50 %s us (kernel T1), %s us (user T1)\n",
            t["t1_correction_p50"].dump().c_str(), j["forward"]["p50"].dump().c_str(),
            t["forward_user_p50"].dump().c_str());
    fprintf(stderr,
            "T3: follow-up - user p50 %s us; processing p50 %s us (follow-up T3), %s us (user "
            "T3)\n",
            t["t3_correction_p50"].dump().c_str(), j["processing"]["p50"].dump().c_str(),
            t["processing_user_p50"].dump().c_str());
    assert_true(t["kernel_refused"].is_null());
    assert_true(t["follow_up"].get<bool>());
    // Every T1 from the kernel; T3 from the reflector's Follow-Up Telemetry,
    // but the last reply's (no reply follows it) and any whose next request
    // the reflector read in the same wake-up, before the reply had left (a
    // loaded machine batches them): those keep the clock reading, counted.
    assert_int_equal(t["t1"]["software"].get<int>() + t["t1"]["hardware"].get<int>(), 40);
    int t3_kernel = t["t3"]["software"].get<int>() + t["t3"]["hardware"].get<int>();
    int t3_user = t["t3"]["user"].get<int>();
    fprintf(stderr, "T3: %d from the Follow-Up, %d clock readings\n", t3_kernel, t3_user);
    assert_int_equal(t3_kernel + t3_user, 40);
    assert_true(t3_kernel >= 1 && t3_user >= 1);
    // The kernel's transmit times are later than the clock readings: the
    // forward delay shrinks, the processing time grows, packet by packet
    // (the corrections). The forward p50s are of the same 40 packets, so
    // they compare too; the processing p50s are not (one reply kept its
    // clock reading), and where a loaded machine splits the processing
    // times in two groups one packet moves the median by the gap between
    // them: printed above, not compared.
    assert_true(t["t1_correction_p50"].is_number() && t["t3_correction_p50"].is_number());
    assert_true(t["t1_correction_p50"].get<double>() > 0);
    assert_true(t["t3_correction_p50"].get<double>() > 0);
    assert_true(j["forward"]["p50"].get<double>() < t["forward_user_p50"].get<double>());
    // How the reflector took them, and loopback's bound: one clock.
    assert_true(t["reflector"].is_object());
    assert_string_equal(t["reflector"]["t2"].get<std::string>().c_str(), "software");
    assert_string_equal(t["reflector"]["t3"].get<std::string>().c_str(), "software");
    std::string sync = t["reflector"]["sync"].get<std::string>();
    assert_true(sync == "NTP" || sync == "free-running");
    assert_true(t["one_way_bound_s"].get<double>() == 0);

    // --timestamping user: the clock readings, and the output says so.
    nlohmann::json u = probe_json("--timestamping user", port);
    const nlohmann::json& ut = u["timestamps"];
    assert_int_equal(ut["t1"]["user"].get<int>(), 40);
    assert_int_equal(ut["t3"]["user"].get<int>(), 40);
    assert_false(ut["follow_up"].get<bool>());
    assert_true(ut["t1_correction_p50"].is_null());

    // The HMAC's cost between the clock reading and the send: measured.
    nlohmann::json a = probe_json("--key-file " + key.path + " --timestamping user", auth_port);
    fprintf(stderr, "forward p50 with user-space T1: unauthenticated %s us, authenticated %s us\n",
            u["forward"]["p50"].dump().c_str(), a["forward"]["p50"].dump().c_str());
    assert_int_equal(a["auth_failures"].get<int>(), 0);
}

int main() {
    return run_test_group({cmocka_unit_test(kernel_transmit_times_replace_the_clock_readings)});
}
