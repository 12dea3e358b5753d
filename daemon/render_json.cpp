#include <cmath>
#include <nlohmann/json.hpp>

#include "render.h"

namespace smalld {

namespace {

nlohmann::json number(double value) {
    if (value >= 0 && value < 9007199254740992.0 && std::floor(value) == value)
        return static_cast<uint64_t>(value);
    return value;
}

}  // namespace

nlohmann::json render_stats_json(const Stats& stats) {
    nlohmann::json out = nlohmann::json::object();
    nlohmann::json instances = nlohmann::json::object();
    visit_stats(stats, [&](const StatSample& s) {
        std::string key(s.key);
        if (s.instance.empty()) {
            out[key] = number(s.value);
            return;
        }
        nlohmann::json& instance = instances[std::string(s.instance)];
        instance["type"] = std::string(s.type);
        nlohmann::json& proto = instance[std::string(s.proto.empty() ? "all" : s.proto)];
        if (s.reason.empty())
            proto[key] = number(s.value);
        else
            proto[key][std::string(s.reason)] = number(s.value);
    });
    out["instances"] = std::move(instances);
    return out;
}

}  // namespace smalld
