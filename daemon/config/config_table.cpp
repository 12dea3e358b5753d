// SPDX-License-Identifier: BSD-2-Clause
#include "config_table.h"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <vector>

#include "build_config.h"
#include "parse.h"
#include "privacy.h"
#include "service_registry.h"

namespace smalld {

const char* to_string(Scope scope) {
    static constexpr Keyword<Scope> kNames[] = {{"daemon", Scope::Daemon},
                                                {"control", Scope::Control},
                                                {"metrics", Scope::Metrics},
                                                {"instance", Scope::Instance}};
    return word_of(scope, kNames);
}

namespace {

constexpr unsigned only(ServiceType type) {
    return 1u << static_cast<unsigned>(type);
}

// The types that serve TCP, from the service registry: the TCP keys apply to
// them only, so `tcp =` in a UDP-only type's section is an error.
unsigned tcp_types() {
    unsigned types = 0;
    for (const auto& entry : service_catalogue())
        if (entry.spec.tcp) types |= only(entry.type);
    return types;
}

// The `type` key's values: the catalogue's types, in its order.
const char* type_help() {
    static const std::string help = [] {
        std::string names;
        for (const auto& entry : service_catalogue()) {
            if (!names.empty()) names += " | ";
            names += entry.name;
        }
        return names + "; defaults to the section name";
    }();
    return help.c_str();
}

// A list of items, each read by `parse` (parse_endpoint, parse_cidr); the
// first that does not parse is the error.
template <typename T>
bool apply_list(std::vector<T>& out, std::string_view value,
                std::optional<T> (*parse)(std::string_view, std::string*), std::string* error) {
    out.clear();
    for (auto item : split_list(value)) {
        auto parsed = parse(item, error);
        if (!parsed) return false;
        out.push_back(*parsed);
    }
    return true;
}

// A user or group name (`kind`) the system knows, or empty.
bool apply_account(std::string& out, std::string_view value, std::string_view kind,
                   std::string* error) {
    const std::string name(value);
    auto known = [&] {
        return kind == "group" ? getgrnam(name.c_str()) != nullptr
                               : getpwnam(name.c_str()) != nullptr;
    };
    if (!name.empty() && !known()) {
        *error = "no such " + std::string(kind) + " \"" + name + "\"";
        return false;
    }
    out = name;
    return true;
}

const KeySpec kKeys[] = {
    // [daemon]
    {Scope::Daemon, "log_level", "info", "error | warning | notice | info | debug", 0,
     [](Config& c, InstanceConfig*, std::string_view v, std::string* e) -> bool {
         return assign(c.daemon.log_level, parse_log_level(v, e));
     }},
    {Scope::Daemon, "log_connections", "yes", "one line per TCP session open and close", 0,
     [](Config& c, InstanceConfig*, std::string_view v, std::string* e) -> bool {
         return assign(c.daemon.log_connections, parse_bool(v, e));
     }},
    {Scope::Daemon, "max_connections", "4096",
     "all TCP sessions together (also bounded by RLIMIT_NOFILE); 0 = only that bound", 0,
     [](Config& c, InstanceConfig*, std::string_view v, std::string* e) -> bool {
         return assign(c.daemon.max_connections, parse_uint(v, 0, 10'000'000, e));
     }},
    {Scope::Daemon, "user", "",
     "when started as root outside systemd: drop to this user after binding", 0,
     [](Config& c, InstanceConfig*, std::string_view v, std::string* e) -> bool {
         return apply_account(c.daemon.user, v, "user", e);
     },
     /*names_file=*/false, /*restart_only=*/true},
    {Scope::Daemon, "shutdown_timeout", "5s", "how long SIGTERM waits for sessions to flush", 0,
     [](Config& c, InstanceConfig*, std::string_view v, std::string* e) -> bool {
         return assign(c.daemon.shutdown_timeout, parse_duration(v, e));
     }},
    {Scope::Daemon, "output_buffer", "64k",
     "per-session output queue; a peer that does not read stops being read past it", 0,
     [](Config& c, InstanceConfig*, std::string_view v, std::string* e) -> bool {
         return assign(c.daemon.output_buffer, parse_size(v, 4 * 1024, 64 * 1024 * 1024, e));
     }},
    // [control]
    {Scope::Control, "socket", SMALLD_CONTROL_SOCKET, "path of the control socket; empty = none", 0,
     [](Config& c, InstanceConfig*, std::string_view v, std::string* e) -> bool {
         if (!v.empty() && (v.front() != '/' || v.size() > 100)) {
             *e = "expected an absolute path of at most 100 characters, got \"" + std::string(v) +
                  "\"";
             return false;
         }
         c.control.socket = v;
         return true;
     },
     /*names_file=*/false, /*restart_only=*/true},
    {Scope::Control, "mode", "0660", "file mode of the control socket", 0,
     [](Config& c, InstanceConfig*, std::string_view v, std::string* e) -> bool {
         return assign(c.control.mode, parse_mode(v, e));
     },
     /*names_file=*/false, /*restart_only=*/true},
    {Scope::Control, "group", "", "group of the control socket; empty = the daemon's", 0,
     [](Config& c, InstanceConfig*, std::string_view v, std::string* e) -> bool {
         return apply_account(c.control.group, v, "group", e);
     },
     /*names_file=*/false, /*restart_only=*/true},
    // [metrics]
    {Scope::Metrics, "listen", "",
     "ADDRESS:PORT for Prometheus text at /metrics and the live page at /; empty = off", 0,
     [](Config& c, InstanceConfig*, std::string_view v, std::string* e) -> bool {
         if (v.empty()) {
             c.metrics.listen.reset();
             return true;
         }
         c.metrics.listen = parse_endpoint(v, e);
         return c.metrics.listen.has_value();
     },
     /*names_file=*/false, /*restart_only=*/true},
    {Scope::Metrics, "details", "",
     "clients (address prefixes as in allow; yes = all) shown file paths, reload errors and "
     "peer addresses on the page, /stats.json and /events; empty = none",
     0,
     [](Config& c, InstanceConfig*, std::string_view v, std::string* e) -> bool {
         return parse_details(v, c.metrics.details, e);
     }},
    {Scope::Metrics, "allow", "127.0.0.0/8, ::1",
     "source prefixes admitted to the listener, as an instance's allow; empty = none", 0,
     [](Config& c, InstanceConfig*, std::string_view v, std::string* e) -> bool {
         return apply_list(c.metrics.allow, v, parse_cidr, e);
     }},
    {Scope::Metrics, "page", "yes",
     "no = only /metrics and /healthz: the live page, its assets, /stats.json and /events "
     "answer 404",
     0,
     [](Config& c, InstanceConfig*, std::string_view v, std::string* e) -> bool {
         return assign(c.metrics.page, parse_bool(v, e));
     }},
    {Scope::Metrics, "page_sessions", "yes",
     "no = the live sessions are not on the page, /stats.json or /events (for a public "
     "listener)",
     0,
     [](Config& c, InstanceConfig*, std::string_view v, std::string* e) -> bool {
         return assign(c.metrics.page_sessions, parse_bool(v, e));
     }},
    // Every instance section.
    {Scope::Instance, "type", nullptr, type_help(), 0,
     [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
         (void)i, (void)v, (void)e;
         return true; /* resolved before the other keys */
     }},
    {Scope::Instance, "enabled", "yes",
     "no = the instance is checked but not served (a drop-in may switch one off)", 0,
     [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
         return assign(i->enabled, parse_bool(v, e));
     }},
    {Scope::Instance, "tcp", nullptr,
     "list of ADDRESS:PORT to serve over TCP; port 0 = chosen by the kernel (not stamp: UDP only)",
     tcp_types(),
     [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
         return apply_list(i->tcp, v, parse_endpoint, e);
     }},
    {Scope::Instance, "udp", nullptr, "list of ADDRESS:PORT to serve over UDP", 0,
     [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
         return apply_list(i->udp, v, parse_endpoint, e);
     }},
    {Scope::Instance, "allow",
     "127.0.0.0/8, ::1, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7, fe80::/10",
     "source prefixes admitted; empty = none", 0,
     [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
         return apply_list(i->allow, v, parse_cidr, e);
     }},
    {Scope::Instance, "deny", "", "source prefixes refused, even when allowed", 0,
     [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
         return apply_list(i->deny, v, parse_cidr, e);
     }},
    {Scope::Instance, "max_connections", "1024", "concurrent TCP sessions; 0 = unlimited",
     tcp_types(),
     [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
         return assign(i->max_connections, parse_uint(v, 0, 10'000'000, e));
     }},
    {Scope::Instance, "per_source", "16",
     "concurrent TCP sessions per source address (IPv6: per /64); 0 = unlimited", tcp_types(),
     [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
         return assign(i->per_source, parse_uint(v, 0, 10'000'000, e));
     }},
    {Scope::Instance, "rate", "50/s",
     "new TCP sessions and UDP datagrams per source (token bucket); 0/s = unlimited", 0,
     [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
         return assign(i->rate, parse_rate(v, e));
     }},
    {Scope::Instance, "idle_timeout", "60s", "close a TCP session idle this long; 0 = never",
     tcp_types(),
     [](Config&, InstanceConfig* i, std::string_view v,
        std::string* e) -> bool { return assign(i->idle_timeout, parse_duration(v, e)); }},
    {Scope::Instance, "max_duration", "1h", "close a TCP session this old; 0 = never", tcp_types(),
     [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
         return assign(i->max_duration, parse_duration(v, e));
     }},
    {Scope::Instance, "udp_amplification", "1.0",
     "a UDP reply is at most max(request bytes x this, 32) bytes", 0,
     [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
         return assign(i->udp_amplification, parse_double(v, 0, 1000, e));
     }},
    {Scope::Instance, "udp_loop_guard", "yes",
     "drop datagrams from ports below 1024 and 2049, and from broadcast, multicast, 0.0.0.0/8 "
     "and IPv4-mapped sources",
     0,
     [](Config&, InstanceConfig* i, std::string_view v,
        std::string* e) -> bool { return assign(i->udp_loop_guard, parse_bool(v, e)); }},
    {Scope::Instance, "backlog", "511", "listen(2) backlog", tcp_types(),
     [](Config&, InstanceConfig* i, std::string_view v, std::string* e) -> bool {
         return assign(i->backlog, parse_uint(v, 1, 65535, e));
     }},
};

}  // namespace

std::span<const KeySpec> config_keys() {
    static const std::vector<KeySpec> keys = [] {
        std::vector<KeySpec> all(std::begin(kKeys), std::end(kKeys));
        size_t common = all.size();
        for (const auto& entry : service_catalogue()) {
            for (const KeySpec* key : entry.spec.keys) {
                // A key two types share (offset) is one row applying to both.
                auto same = std::find_if(
                    all.begin() + ptrdiff_t(common), all.end(),
                    [&](const KeySpec& k) { return std::string_view(k.name) == key->name; });
                if (same == all.end()) {
                    all.push_back(*key);
                    same = all.end() - 1;
                }
                same->types |= only(entry.type);
            }
        }
        return all;
    }();
    return keys;
}

const KeySpec* find_key(Scope scope, std::string_view name) {
    for (const auto& key : config_keys())
        if (key.scope == scope && name == key.name) return &key;
    return nullptr;
}

}  // namespace smalld
