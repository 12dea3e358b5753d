// SPDX-License-Identifier: BSD-2-Clause
#include <cmath>
#include <nlohmann/json.hpp>

#include "render.h"
#include "utf8.h"

namespace smalld {

namespace {

nlohmann::json number(double value) {
    if (value >= 0 && value < 9007199254740992.0 && std::floor(value) == value)
        return static_cast<uint64_t>(value);
    return value;
}

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

std::string to_json_text(const nlohmann::json& value) {
    try {
        return value.dump();
    } catch (const nlohmann::json::type_error&) {
        // Some string is not UTF-8 (error 316): rare, so only then pay for a copy.
    }
    return valid_utf8_copy(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json render_stats_json(const Stats& stats, const OpenSessions& open) {
    nlohmann::json out = nlohmann::json::object();
    nlohmann::json instances = nlohmann::json::object();
    visit_stats(stats, open, [&](const StatSample& s) {
        std::string key(s.key);
        if (s.instance.empty()) {
            out[key] = number(s.value);
            return;
        }
        nlohmann::json& instance = instances[std::string(s.instance)];
        instance["type"] = std::string(s.type);
        nlohmann::json& proto = instance[std::string(s.proto.empty() ? "all" : s.proto)];
        std::string_view label = s.reason.empty() ? s.le : s.reason;  // by reason, or by bucket
        if (label.empty())
            proto[key] = number(s.value);
        else
            proto[key][std::string(label)] = number(s.value);
    });
    out["instances"] = std::move(instances);
    return out;
}

}  // namespace smalld
