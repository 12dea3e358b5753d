// SPDX-License-Identifier: BSD-2-Clause
#include "privacy.h"

#include "parse.h"

namespace smalld {

namespace {

std::string counted(size_t n, const char* what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

}  // namespace

bool parse_details(std::string_view value, std::vector<Cidr>& networks, std::string* error) {
    networks.clear();
    value = trim(value);
    if (value.empty() || value == "no") return true;
    if (value == "yes") {
        for (const char* everyone : {"0.0.0.0/0", "::/0"})
            networks.push_back(*parse_cidr(everyone, error));
        return true;
    }
    for (auto item : split_list(value)) {
        auto cidr = parse_cidr(item, error);
        if (!cidr) {
            *error = "expected yes, no or a list of address prefixes: " + *error;
            return false;
        }
        networks.push_back(*cidr);
    }
    return true;
}

bool may_see_details(const std::vector<Cidr>& networks, const SockAddr& peer) {
    for (const auto& cidr : networks)
        if (cidr.contains(peer)) return true;
    return false;
}

std::string public_reload_result(const std::string& last_reload, size_t errors) {
    if (!last_reload.starts_with("failed")) return last_reload;  // "none", "ok"
    return "failed: " + counted(std::max<size_t>(errors, 1), "error") +
           "; see smallctl status or the log";
}

nlohmann::json public_event(const nlohmann::json& event) {
    nlohmann::json out = event;
    out.erase("peer");
    if (out.value("event", "") == "reload") {
        auto size = [&](const char* key) {
            auto it = event.find(key);
            return it != event.end() && it->is_array() ? it->size() : size_t(0);
        };
        if (out.contains("errors"))
            out["errors"] = {counted(size("errors"), "error") + "; see smallctl status or the log"};
        if (out.contains("changes")) out["changes"] = nlohmann::json::array();
        if (size("changes") > 0)
            out["changes"].push_back(counted(size("changes"), "change") + "; see the log");
    }
    return out;
}

void hide_peer(nlohmann::json& session) {
    if (session.is_object()) session.erase("peer");
}

}  // namespace smalld
