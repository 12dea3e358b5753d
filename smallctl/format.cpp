// SPDX-License-Identifier: BSD-2-Clause
#include "format.h"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "control_protocol.h"
#include "units.h"

namespace smallctl {

namespace {

using smalld::control_protocol::Command;

bool numeric(const std::string& cell) {
    // "12", "-3", "0.250"; not "127.0.0.1".
    size_t start = cell.size() > 1 && cell[0] == '-' ? 1 : 0;
    if (cell.size() == start || std::count(cell.begin(), cell.end(), '.') > 1) return false;
    return std::all_of(cell.begin() + long(start), cell.end(),
                       [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

std::string text(const nlohmann::json& value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_null()) return "-";
    if (value.is_number_float()) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.3f", value.get<double>());
        return buf;
    }
    return value.dump();
}

// The member `key` of `object` as text(); "-" when it is missing.
std::string field(const nlohmann::json& object, const char* key) {
    return text(object.value(key, nlohmann::json()));
}

// The count at a JSON pointer ("/conn/rejected_total"); by reason, summed.
uint64_t count(const nlohmann::json& object, const char* pointer) {
    nlohmann::json::json_pointer at(pointer);
    if (!object.contains(at)) return 0;
    const nlohmann::json* it = &object.at(at);
    if (it->is_number()) return it->get<uint64_t>();
    uint64_t sum = 0;
    if (it->is_object())
        for (const auto& [reason, n] : it->items()) sum += n.get<uint64_t>();
    return sum;
}

std::string format_status(const nlohmann::json& d) {
    std::vector<std::vector<std::string>> rows = {
        {"version", field(d, "version")},
        {"pid", field(d, "pid")},
        {"state", field(d, "state")},
        {"uptime", smalld::units::duration(d.value("uptime_seconds", -1.0))},
        {"config", field(d, "config")},
        {"last reload", field(d, "last_reload")},
        {"log level", field(d, "log_level")},
        {"sessions", std::to_string(d.value("conn_current", uint64_t(0))) + " open, " +
                         std::to_string(d.value("conn_accepted_total", uint64_t(0))) + " accepted"},
        {"listeners", std::to_string(d.value("listeners", uint64_t(0))) + " (" +
                          std::to_string(d.value("instances", uint64_t(0))) + " instances)"},
        {"control", field(d, "control_socket")},
        {"metrics", field(d, "metrics_listen")},
    };
    std::string out;
    for (const auto& row : rows) {
        char line[512];
        snprintf(line, sizeof line, "%-12s %s\n", (row[0] + ":").c_str(), row[1].c_str());
        out += line;
    }
    return out;
}

// The daemon-wide counters, nested in the JSON, under their dotted names.
void flatten(const nlohmann::json& object, const std::string& prefix,
             std::vector<std::vector<std::string>>* rows) {
    for (const auto& [key, value] : object.items()) {
        if (prefix.empty() && (key == "instances" || key == "version")) continue;
        if (value.is_object())
            flatten(value, prefix + key + ".", rows);
        else
            rows->push_back({prefix + key, text(value)});
    }
}

std::string format_stats(const nlohmann::json& d) {
    std::vector<std::vector<std::string>> globals;
    flatten(d, "", &globals);
    std::string out = render_table({"COUNTER", "VALUE"}, globals);
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> refusals;
    if (d.contains("instances")) {
        for (const auto& [name, instance] : d["instances"].items()) {
            std::string type = instance.value("type", "");
            for (const char* proto : {"tcp", "udp"}) {
                if (!instance.contains(proto)) continue;
                const auto& p = instance[proto];
                bool tcp = std::string(proto) == "tcp";
                const char* reasons_key = tcp ? "/conn/rejected_total" : "/datagrams_dropped_total";
                rows.push_back({name, type, proto,
                                tcp ? std::to_string(count(p, "/sessions_current")) : "-",
                                tcp ? std::to_string(count(p, "/sessions_total")) : "-",
                                tcp ? "-" : std::to_string(count(p, "/datagrams_in_total")),
                                tcp ? "-" : std::to_string(count(p, "/datagrams_out_total")),
                                smalld::units::bytes(double(count(p, "/read_bytes_total"))),
                                smalld::units::bytes(double(count(p, "/written_bytes_total"))),
                                std::to_string(count(p, reasons_key))});
                nlohmann::json::json_pointer reasons(reasons_key);
                if (p.contains(reasons) && p.at(reasons).is_object())
                    for (const auto& [reason, n] : p.at(reasons).items())
                        if (n.get<uint64_t>() > 0)
                            refusals.push_back(name + " " + proto + " " +
                                               (tcp ? "rejected " : "dropped ") + reason + ": " +
                                               std::to_string(n.get<uint64_t>()));
            }
        }
    }
    if (!rows.empty())
        out += "\n" + render_table({"INSTANCE", "TYPE", "PROTO", "OPEN", "SESSIONS", "DGRAMS_IN",
                                    "DGRAMS_OUT", "BYTES_IN", "BYTES_OUT", "REFUSED"},
                                   rows);
    if (!refusals.empty()) {
        out += "\n";
        for (const auto& line : refusals) out += line + "\n";
    }
    return out;
}

std::string format_listeners(const nlohmann::json& d) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& l : d)
        rows.push_back({field(l, "instance"), field(l, "type"), field(l, "proto"),
                        field(l, "address"), field(l, "port"), field(l, "origin")});
    if (rows.empty()) return "no listeners\n";
    return render_table({"INSTANCE", "TYPE", "PROTO", "ADDRESS", "PORT", "ORIGIN"}, rows);
}

std::string format_conns(const nlohmann::json& d) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : d)
        rows.push_back({field(s, "id"), field(s, "instance"), field(s, "peer"), field(s, "local"),
                        smalld::units::duration(s.value("age_seconds", -1.0)),
                        smalld::units::duration(s.value("idle_seconds", -1.0)),
                        smalld::units::bytes(s.value("bytes_in", -1.0)),
                        smalld::units::bytes(s.value("bytes_out", -1.0))});
    if (rows.empty()) return "no sessions\n";
    return render_table({"ID", "INSTANCE", "PEER", "LOCAL", "AGE", "IDLE", "IN", "OUT"}, rows);
}

std::string format_metrics(const nlohmann::json& d) {
    return d.is_string() ? d.get<std::string>() : d.dump();
}

std::string format_stats_reset(const nlohmann::json&) {
    return "counters reset\n";
}

std::string format_conn_kill(const nlohmann::json& d) {
    return "session " + field(d, "killed") + " killed\n";
}

std::string format_reload(const nlohmann::json& d) {
    auto changes = d.value("changes", nlohmann::json::array());
    if (changes.empty()) return "reload: configuration unchanged\n";
    std::string out = "reload: " + std::to_string(changes.size()) +
                      (changes.size() == 1 ? " change\n" : " changes\n");
    for (const auto& c : changes) out += "  " + text(c) + "\n";
    return out;
}

std::string format_log_level(const nlohmann::json& d) {
    return "log level is now " + field(d, "log_level") + "\n";
}

// The monitor's first reply says only that it started; its events follow
// (format_event).
std::string format_monitor(const nlohmann::json&) {
    return "";
}

// One row per command of the protocol (control_protocol.h), in its order.
struct Formatter {
    Command id;
    std::string (*format)(const nlohmann::json& data);
};
constexpr Formatter kFormatters[] = {
    {Command::Status, format_status},
    {Command::Stats, format_stats},
    {Command::StatsReset, format_stats_reset},
    {Command::Metrics, format_metrics},
    {Command::Listeners, format_listeners},
    {Command::Conns, format_conns},
    {Command::Peers, format_peers},
    {Command::ConnKill, format_conn_kill},
    {Command::Reload, format_reload},
    {Command::LogLevel, format_log_level},
    {Command::Monitor, format_monitor},
};
static_assert(smalld::control_protocol::one_row_per_command(kFormatters));

}  // namespace

std::string render_table(const std::vector<std::string>& headers,
                         const std::vector<std::vector<std::string>>& rows) {
    size_t columns = headers.size();
    std::vector<size_t> width(columns);
    std::vector<bool> right(columns, !rows.empty());
    for (size_t i = 0; i < columns; ++i) width[i] = headers[i].size();
    for (const auto& row : rows)
        for (size_t i = 0; i < columns && i < row.size(); ++i) {
            width[i] = std::max(width[i], row[i].size());
            if (!numeric(row[i]) && row[i] != "-") right[i] = false;
        }
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (size_t i = 0; i < columns; ++i) {
            const std::string cell = i < cells.size() ? cells[i] : "";
            std::string pad(width[i] - cell.size(), ' ');
            if (i > 0) out += "  ";
            out += right[i] ? pad + cell : cell + (i + 1 < columns ? pad : "");
        }
        while (!out.empty() && out.back() == ' ') out.pop_back();
        return out + "\n";
    };
    std::string out = line(headers);
    for (const auto& row : rows) out += line(row);
    return out;
}

std::string format_reply(const std::string& command, const nlohmann::json& data) {
    const auto* spec = smalld::control_protocol::find_spec(command);
    if (!spec) return data.dump(2) + "\n";
    return kFormatters[size_t(spec->id)].format(data);
}

std::optional<std::string> render_reply(const std::string& command, const nlohmann::json& reply,
                                        std::string* error) {
    auto data = reply.find("data");
    if (!reply.is_object() || data == reply.end()) {
        *error = "the reply has no data";
        return std::nullopt;
    }
    using Type = nlohmann::json::value_t;
    using smalld::control_protocol::Data;
    const auto* spec = smalld::control_protocol::find_spec(command);
    Data shape = spec ? spec->data : Data::Object;
    Type want = shape == Data::Array    ? Type::array
                : shape == Data::String ? Type::string
                : shape == Data::Any    ? data->type()
                                        : Type::object;
    if (data->type() != want) {
        *error = std::string("the reply's data is ") + data->type_name() + ", not " +
                 nlohmann::json(want).type_name();
        return std::nullopt;
    }
    try {
        return format_reply(command, *data);
    } catch (const nlohmann::json::exception& e) {
        *error = std::string("the reply's data has an unexpected shape: ") + e.what();
        return std::nullopt;
    }
}

std::string format_event(const nlohmann::json& event, bool utc) {
    std::string out;
    if (auto t = event.find("time"); t != event.end() && t->is_number()) {
        double when = t->get<double>();
        time_t secs = static_cast<time_t>(when);
        tm parts{};
        if (utc)
            gmtime_r(&secs, &parts);
        else
            localtime_r(&secs, &parts);
        char buf[32];
        snprintf(buf, sizeof buf, "%02d:%02d:%02d.%03d ", parts.tm_hour, parts.tm_min, parts.tm_sec,
                 int(std::lround((when - double(secs)) * 1000)) % 1000);
        out += buf;
    }
    out += event.value("event", "event");
    // Who first, then what happened, then the figures, bytes last; keys this
    // list does not know go before the bytes, in alphabetical order.
    static const char* const kFirst[] = {"id", "instance", "proto",    "peer",    "reason",
                                         "ok", "count",    "duration", "changes", "errors"};
    static const char* const kLast[] = {"bytes_in", "bytes_out"};
    std::vector<std::string> keys(std::begin(kFirst), std::end(kFirst));
    for (const auto& [key, value] : event.items())
        if (key != "event" && key != "time" &&
            std::find(std::begin(kFirst), std::end(kFirst), key) == std::end(kFirst) &&
            std::find(std::begin(kLast), std::end(kLast), key) == std::end(kLast))
            keys.push_back(key);
    keys.insert(keys.end(), std::begin(kLast), std::end(kLast));
    for (const std::string& key : keys) {
        auto it = event.find(key);
        if (it == event.end()) continue;
        const nlohmann::json& value = *it;
        out += " " + key + "=";
        if (value.is_array()) {
            std::string list;
            for (const auto& v : value) list += (list.empty() ? "" : "; ") + text(v);
            out += "[" + list + "]";
        } else {
            out += text(value);
        }
    }
    return out + "\n";
}

}  // namespace smallctl
