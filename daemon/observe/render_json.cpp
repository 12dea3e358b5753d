// SPDX-License-Identifier: BSD-2-Clause
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "render.h"
#include "utf8.h"

namespace smalld {

namespace {

// Every string and key of `value` made valid UTF-8.
nlohmann::json valid_utf8_copy(const nlohmann::json& value) {
    if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        return valid_utf8(text) ? value : nlohmann::json(escape_invalid_utf8(text));
    }
    if (value.is_array()) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& item : value) out.push_back(valid_utf8_copy(item));
        return out;
    }
    if (value.is_object()) {
        nlohmann::json out = nlohmann::json::object();
        for (auto it = value.begin(); it != value.end(); ++it)
            out[valid_utf8(it.key()) ? it.key() : escape_invalid_utf8(it.key())] =
                valid_utf8_copy(it.value());
        return out;
    }
    return value;
}

}  // namespace

nlohmann::json stats_json_number(double value) {
    if (std::isnan(value)) return nullptr;  // a gauge not known yet (a peer's clock error)
    if (value >= 0 && value < 9007199254740992.0 && std::floor(value) == value)
        return static_cast<uint64_t>(value);
    return value;
}

std::string to_json_text(const nlohmann::json& value) {
    try {
        return value.dump();
    } catch (const nlohmann::json::type_error&) {
        // Some string is not UTF-8 (error 316): rare, so only then pay for a copy.
    }
    return valid_utf8_copy(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json render_stats_json(const Stats& stats, const OpenSessions& open) {
    nlohmann::json out = {{"version", kStatsJsonVersion}};
    nlohmann::json instances = nlohmann::json::object();
    visit_stats(stats, open, [&](const StatSample& s) {
        nlohmann::json* at = &out;
        if (!s.instance.empty()) {
            nlohmann::json& instance = instances[std::string(s.instance)];
            instance["type"] = std::string(s.type);
            at = &instance[std::string(s.proto.empty() ? "all" : s.proto)];
            // A stamp-sender's peer: {"peers": {"berlin": {"stamp_peer": {...}}}}
            if (!s.peer.empty()) at = &instance["peers"][std::string(s.peer)];
        }
        at = &json_path(*at, s.key);
        if (!s.direction.empty()) {
            (*at)[std::string(s.direction)] = stats_json_number(s.value);
        } else if (!s.reason.empty()) {
            (*at)[std::string(s.reason)] = stats_json_number(s.value);
        } else if (!s.le.empty()) {
            // Buckets in the order visit_stats gives them: numeric, +Inf last.
            if (!at->is_array()) *at = nlohmann::json::array();
            nlohmann::json le =
                s.le == "+Inf" ? nlohmann::json("+Inf")
                               : nlohmann::json(std::strtod(std::string(s.le).c_str(), nullptr));
            at->push_back({std::move(le), stats_json_number(s.value)});
        } else {
            *at = stats_json_number(s.value);
        }
    });
    // Not a Prometheus series (process_start_time_seconds is), but what
    // smallctl top divides by: the daemon's own clock.
    out["process"]["uptime_seconds"] = stats.uptime_seconds();
    out["instances"] = std::move(instances);
    return out;
}

nlohmann::json& json_path(nlohmann::json& root, std::string_view key) {
    // The standard process_* metrics go under "process" like the rest.
    if (key.substr(0, 8) == "process_") return json_path(root["process"], key.substr(8));
    nlohmann::json* at = &root;
    for (size_t dot; (dot = key.find('.')) != std::string_view::npos; key.remove_prefix(dot + 1))
        at = &(*at)[std::string(key.substr(0, dot))];
    return (*at)[std::string(key)];
}

}  // namespace smalld
