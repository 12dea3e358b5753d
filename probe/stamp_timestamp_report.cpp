// SPDX-License-Identifier: BSD-2-Clause
// smallprobe stamp's lines about its timestamps: how T1 and T3 were taken,
// what the reflector says of its own, and the error bound of a one-way
// figure; and the same as the -j "timestamps" member.
#include <cstdio>
#include <string>

#include "json_text.h"
#include "stamp_timestamping.h"

namespace smallprobe {
namespace {

namespace stamp = smalld::stamp;

// "16 s", "2.5 ms", "120 us".
std::string seconds_text(double s) {
    char text[32];
    if (s >= 1)
        std::snprintf(text, sizeof text, "%.3g s", s);
    else if (s >= 1e-3)
        std::snprintf(text, sizeof text, "%.3g ms", s * 1e3);
    else
        std::snprintf(text, sizeof text, "%.3g us", s * 1e6);
    return text;
}

// "100 kernel (software)", "3 user-space ..." for each method used.
std::string methods_text(const uint64_t (&counts)[3]) {
    std::string text;
    for (StampMethod m : {StampMethod::Hardware, StampMethod::Software, StampMethod::User}) {
        if (!counts[size_t(m)]) continue;
        if (!text.empty()) text += ", ";
        text += std::to_string(counts[size_t(m)]) + " " + to_string(m);
    }
    return text.empty() ? "-" : text;
}

}  // namespace

std::string one_way_bound_text(const TimestampSummary& t) {
    if (t.same_clock) return "";
    if (t.one_way_bound_s < 0) return " \u00b1 unknown";
    return " \u00b1 " + seconds_text(t.one_way_bound_s);
}

void print_timestamp_lines(FILE* out, const TimestampSummary& t) {
    std::fprintf(out, "timestamps (--timestamping %s):\n", timestamping_name(t.mode));
    std::fprintf(out, "  T1 %s", methods_text(t.t1).c_str());
    if (!t.refused.empty())
        std::fprintf(out, "; the kernel gives no transmit timestamps (%s)", t.refused.c_str());
    else if (t.mode != Timestamping::None && t.t1[size_t(StampMethod::User)])
        std::fprintf(out, "; the kernel reported no transmit time for those");
    std::fprintf(out, "\n  T3 %s", methods_text(t.t3).c_str());
    if (!t.follow_up_asked)
        std::fprintf(out, "; no Follow-Up Telemetry asked");
    else if (t.t3[size_t(StampMethod::User)])
        std::fprintf(out,
                     "; the reflector's Follow-Up Telemetry gave no transmit time for those (the "
                     "last reply's, one it had not sent yet when the next request came, or a "
                     "reflector without it)");
    std::fprintf(out, "\n");
    if (t.t1_pairs)
        std::fprintf(out,
                     "  T1 kernel - user p50 %.3f us: forward p50 from the user reading %.3f us\n",
                     t.t1_correction_p50_us, t.forward_user_p50_us);
    if (t.t3_pairs)
        std::fprintf(out,
                     "  T3 follow-up - user p50 %.3f us: processing p50 from the user reading "
                     "%.3f us\n",
                     t.t3_correction_p50_us, t.processing_user_p50_us);
    if (t.info_known)
        std::fprintf(out, "  reflector: T2 %s, T3 %s, clock %s\n", to_string(t.info.method_in),
                     to_string(t.info.method_out), to_string(t.info.sync_in));
    else
        std::fprintf(out, "  reflector: how it takes T2 and T3 unknown (%s)\n",
                     t.info_asked ? "no Timestamp Information came back"
                                  : "none asked: --no-timestamp-info");
    if (t.same_clock)
        std::fprintf(out, "  one-way error bound: one clock reads T1 to T4 (no offset)\n");
    else
        std::fprintf(
            out, "  one-way error bound:%s (sender's clock %s, reflector's %s)\n",
            one_way_bound_text(t).c_str(),
            t.sender_error_s >= 0 ? seconds_text(t.sender_error_s).c_str() : "unknown",
            t.reflector_error_s >= 0 ? seconds_text(t.reflector_error_s).c_str() : "unknown");
}

void print_timestamp_json(FILE* out, const TimestampSummary& t) {
    auto counts = [](const uint64_t(&c)[3]) {
        return "{\"user\":" + std::to_string(c[0]) + ",\"software\":" + std::to_string(c[1]) +
               ",\"hardware\":" + std::to_string(c[2]) + "}";
    };
    std::string reflector = "null";
    if (t.info_known)
        reflector = std::string("{\"sync\":\"") + to_string(t.info.sync_in) + "\",\"t2\":\"" +
                    to_string(t.info.method_in) + "\",\"t3\":\"" + to_string(t.info.method_out) +
                    "\"}";
    std::fprintf(out,
                 "\"timestamps\":{\"mode\":\"%s\",\"kernel_refused\":%s,\"follow_up\":%s,\"t1\":%s,"
                 "\"t3\":%s,\"reflector\":%s,\"sender_error_s\":%s,\"reflector_error_s\":%s,"
                 "\"one_way_bound_s\":%s,\"t1_correction_p50\":%s,\"forward_user_p50\":%s,"
                 "\"t3_correction_p50\":%s,\"processing_user_p50\":%s},",
                 timestamping_name(t.mode),
                 t.refused.empty() ? "null" : json_quoted(t.refused).c_str(),
                 t.follow_up_asked ? "true" : "false", counts(t.t1).c_str(), counts(t.t3).c_str(),
                 reflector.c_str(), json_number(t.sender_error_s >= 0, t.sender_error_s).c_str(),
                 json_number(t.reflector_error_s >= 0, t.reflector_error_s).c_str(),
                 json_number(t.one_way_bound_s >= 0, t.one_way_bound_s).c_str(),
                 json_number(t.t1_pairs, t.t1_correction_p50_us).c_str(),
                 json_number(t.t1_pairs, t.forward_user_p50_us).c_str(),
                 json_number(t.t3_pairs, t.t3_correction_p50_us).c_str(),
                 json_number(t.t3_pairs, t.processing_user_p50_us).c_str());
}

}  // namespace smallprobe
