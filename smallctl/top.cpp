// SPDX-License-Identifier: BSD-2-Clause
#include "top.h"

#include <cstdio>
#include <vector>

#include "format.h"
#include "units.h"

namespace smallctl {

namespace {

// The number at a JSON pointer ("/conn/current"); counters by reason summed.
double number(const nlohmann::json& object, const char* pointer) {
    nlohmann::json::json_pointer at(pointer);
    if (!object.contains(at)) return 0;
    const nlohmann::json* it = &object.at(at);
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

std::string render_top(const nlohmann::json& before, const nlohmann::json& after) {
    double interval =
        number(after, "/process/uptime_seconds") - number(before, "/process/uptime_seconds");
    char line[256];
    snprintf(line, sizeof line,
             "smalld up %s, %.0f TCP sessions open, rates per second over %s\n\n",
             smalld::units::duration(number(after, "/process/uptime_seconds")).c_str(),
             number(after, "/conn/current"), smalld::units::duration(interval).c_str());
    std::string out = line;
    auto per_second = [&](const nlohmann::json& b, const nlohmann::json& a, const char* key) {
        double now = number(a, key), then = number(b, key);
        double delta = now >= then ? now - then : now;
        return interval > 0 ? delta / interval : -1.0;  // -1: no interval, "-"
    };
    auto rate = [&](const nlohmann::json& b, const nlohmann::json& a, const char* key) {
        return smalld::units::count(per_second(b, a, key));
    };
    auto bits = [&](const nlohmann::json& b, const nlohmann::json& a, const char* key) {
        return smalld::units::bit_rate(per_second(b, a, key));
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
                            tcp ? std::to_string(uint64_t(number(a, "/sessions_current"))) : "-",
                            tcp ? rate(b, a, "/sessions_total") : "-",
                            tcp ? "-" : rate(b, a, "/datagrams_in_total"),
                            bits(b, a, "/read_bytes_total"), bits(b, a, "/written_bytes_total"),
                            rate(b, a, tcp ? "/conn/rejected_total" : "/datagrams_dropped_total")});
        }
    }
    if (rows.empty()) return out + "no instances\n";
    return out + render_table({"INSTANCE", "TYPE", "PROTO", "OPEN", "SESS/S", "DGRAM/S", "IN",
                               "OUT", "REFUSED/S"},
                              rows);
}

}  // namespace smallctl
