// SPDX-License-Identifier: BSD-2-Clause
#include <charconv>
#include <cmath>
#include <unordered_map>
#include <vector>

#include "render.h"
#include "utf8.h"

namespace smalld {

namespace {

// The exposition format is UTF-8: bytes that are not show as \xHH (with the
// backslash escaped, so a label value reads \xff as in JSON and the log).
void append_escaped(std::string& out, std::string_view raw, bool quote) {
    std::string valid;
    std::string_view text = raw;
    if (!valid_utf8(raw)) {
        valid = escape_invalid_utf8(raw);
        text = valid;
    }
    for (char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (quote && c == '"')
            out += "\\\"";
        else
            out += c;
    }
}

void append_value(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "NaN";
        return;
    }
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, ec == std::errc() ? end : buf);
}

struct Family {
    std::string help;
    bool counter = true;
    bool histogram = false;
    std::string samples;
};

// A sample key's Prometheus name and its family, made once per render: a
// scrape of 1,000 peers has 100,000 samples and some 30 keys.
struct Key {
    std::string name;
    Family* family = nullptr;
};
struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view k) const noexcept {
        return std::hash<std::string_view>{}(k);
    }
};

}  // namespace

std::string prometheus_name(std::string_view key) {
    if (key.rfind("process_", 0) == 0) return std::string(key);  // the standard ones
    std::string name = "smalld_";
    for (char c : key) name += c == '.' ? '_' : c;
    return name;
}

std::string render_prometheus(const Stats& stats, const OpenSessions& open,
                              std::string_view version) {
    // Families in the order visit_stats first names them.
    std::vector<std::string> order;
    std::unordered_map<std::string, Family> families;
    std::unordered_map<std::string, Key, KeyHash, std::equal_to<>> keys;
    visit_stats(stats, open, [&](const StatSample& s) {
        auto at = keys.find(s.key);
        if (at == keys.end()) {
            Key k{prometheus_name(s.key)};
            std::string family = s.histogram.empty() ? k.name : prometheus_name(s.histogram);
            auto [it, added] = families.try_emplace(family);
            if (added) {
                order.push_back(family);
                it->second.help = s.help;
                it->second.counter = s.counter;
                it->second.histogram = !s.histogram.empty();
            }
            k.family = &it->second;
            at = keys.emplace(std::string(s.key), std::move(k)).first;
        }
        std::string& out = at->second.family->samples;
        out += at->second.name;
        // "service", not "instance": that is Prometheus's label for the target.
        const std::pair<const char*, std::string_view> labels[] = {
            {"service", s.instance},    {"type", s.type},     {"proto", s.proto}, {"peer", s.peer},
            {"direction", s.direction}, {"reason", s.reason}, {"le", s.le}};
        bool first = true;
        for (const auto& [label, value] : labels) {
            if (value.empty()) continue;
            out += first ? '{' : ',';
            first = false;
            out += label;
            out += "=\"";
            append_escaped(out, value, true);
            out += '"';
        }
        if (!first) out += '}';
        out += ' ';
        append_value(out, s.value);
        out += '\n';
    });
    std::string out;
    size_t size = 256;
    for (const auto& [name, family] : families)
        size += 2 * name.size() + family.help.size() + 40 + family.samples.size();
    out.reserve(size);
    for (const auto& name : order) {
        const Family& family = families[name];
        out += "# HELP " + name + ' ';
        append_escaped(out, family.help, false);
        out += "\n# TYPE " + name +
               (family.histogram ? " histogram\n"
                : family.counter ? " counter\n"
                                 : " gauge\n");
        out += family.samples;
    }
    out += "# HELP smalld_build_info The version of smalld that is running.\n";
    out += "# TYPE smalld_build_info gauge\n";
    out += "smalld_build_info{version=\"";
    append_escaped(out, version, true);
    out += "\"} 1\n";
    return out;
}

}  // namespace smalld
