// SPDX-License-Identifier: BSD-2-Clause
#include "top.h"

#include <cstdio>
#include <vector>

#include "format.h"

namespace smallctl {

namespace {

double number(const nlohmann::json& object, const char* key) {
    auto it = object.find(key);
    if (it == object.end()) return 0;
    if (it->is_number()) return it->get<double>();
    double sum = 0;  // counters by reason
    if (it->is_object())
        for (const auto& [reason, n] : it->items())
            if (n.is_number()) sum += n.get<double>();
    return sum;
}

const nlohmann::json& at(const nlohmann::json& object, const std::string& key) {
    static const nlohmann::json empty = nlohmann::json::object();
    auto it = object.find(key);
    return it != object.end() && it->is_object() ? *it : empty;
}

}  // namespace

std::string format_rate(double per_second) {
    char buf[32];
    if (per_second < 0.05)
        return "0";
    else if (per_second < 10)
        snprintf(buf, sizeof buf, "%.1f", per_second);
    else if (per_second < 10'000)
        snprintf(buf, sizeof buf, "%.0f", per_second);
    else if (per_second < 10'000'000)
        snprintf(buf, sizeof buf, "%.1fk", per_second / 1e3);
    else
        snprintf(buf, sizeof buf, "%.1fM", per_second / 1e6);
    std::string out = buf;
    size_t unit = out.find_first_of("kM");
    size_t digits = unit == std::string::npos ? out.size() : unit;
    if (digits > 2 && out.compare(digits - 2, 2, ".0") == 0) out.erase(digits - 2, 2);
    return out;
}

std::string render_top(const nlohmann::json& before, const nlohmann::json& after) {
    double interval =
        number(after, "process.uptime_seconds") - number(before, "process.uptime_seconds");
    char line[256];
    snprintf(line, sizeof line,
             "smalld up %s, %.0f TCP sessions open, rates per second over %.1fs\n\n",
             format_duration(number(after, "process.uptime_seconds")).c_str(),
             number(after, "conn.current"), interval);
    std::string out = line;
    auto rate = [&](const nlohmann::json& b, const nlohmann::json& a, const char* key) {
        double now = number(a, key), then = number(b, key);
        double delta = now >= then ? now - then : now;
        return format_rate(interval > 0 ? delta / interval : 0);
    };
    std::vector<std::vector<std::string>> rows;
    const nlohmann::json& instances = at(after, "instances");
    for (const auto& [name, instance] : instances.items()) {
        const nlohmann::json& old = at(at(before, "instances"), name);
        for (const char* proto : {"tcp", "udp"}) {
            if (!instance.contains(proto)) continue;
            const nlohmann::json& a = at(instance, proto);
            const nlohmann::json& b = at(old, proto);
            bool tcp = proto[0] == 't';
            rows.push_back({name, instance.value("type", ""), proto,
                            tcp ? std::to_string(uint64_t(number(a, "sessions_current"))) : "-",
                            tcp ? rate(b, a, "sessions_total") : "-",
                            tcp ? "-" : rate(b, a, "datagrams_in_total"),
                            rate(b, a, "read_bytes_total"), rate(b, a, "written_bytes_total"),
                            rate(b, a, tcp ? "conn.rejected_total" : "datagrams_dropped_total")});
        }
    }
    if (rows.empty()) return out + "no instances\n";
    return out + render_table({"INSTANCE", "TYPE", "PROTO", "OPEN", "SESS/S", "DGRAM/S", "IN_B/S",
                               "OUT_B/S", "REFUSED/S"},
                              rows);
}

}  // namespace smallctl
