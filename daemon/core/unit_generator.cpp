// SPDX-License-Identifier: BSD-2-Clause
// Writes the systemd socket units from the catalogue, at build time:
//
//   smalld-units SHIPPED_INI MAIN_TYPE DIR
//
// One DIR/smalld-NAME.socket per service type that listens (a type with no
// standard listener, such as a sender, gets none), each binding what the
// shipped configuration SHIPPED_INI binds for its [NAME] section, or the
// type's default listeners when the file has no such section. The unit of
// MAIN_TYPE is DIR/smalld.socket instead, and pulls in all the others
// (Wants=, Also=). DIR/socket-units.txt lists the units written, one a line,
// for the install rule and the Debian maintainer scripts (cmake/install.cmake).
// A smalld-*.socket left in DIR from a type that is gone is removed.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config.h"
#include "service_registry.h"

namespace {

using namespace smalld;

struct Unit {
    std::string file;  // smalld-echo.socket
    std::string text;
};

std::string listen_lines(const char* directive, const std::vector<SockAddr>& addrs) {
    std::string out;
    for (const auto& addr : addrs) out += std::string(directive) + "=" + addr.to_string() + "\n";
    return out;
}

bool wildcard(const std::vector<SockAddr>& addrs) {
    for (const auto& addr : addrs) {
        std::string text = addr.to_string();
        if (text.starts_with("0.0.0.0:") || text.starts_with("[::]:")) return true;
    }
    return false;
}

// The [Socket] section's listeners, or "" when the instance listens nowhere.
std::string socket_lines(const InstanceConfig& instance) {
    std::string lines =
        listen_lines("ListenStream", instance.tcp) + listen_lines("ListenDatagram", instance.udp);
    if (lines.empty()) return "";
    std::string comment =
        wildcard(instance.tcp) || wildcard(instance.udp)
            ? "# IPv4 and IPv6 separately, as smalld.ini does: a dual-stack socket would show\n"
              "# IPv4 peers as IPv4-mapped addresses, which the UDP loop guard drops.\n"
            : "# On loopback, as smalld.ini has it: edit the addresses (in a drop-in) to\n"
              "# serve other hosts.\n";
    return comment + lines + "BindIPv6Only=ipv6-only\n";
}

// "smalld echo sockets (RFC 862)" from the title "echo (RFC 862)".
std::string description(const char* title) {
    std::string text = title;
    size_t note = text.find(" (");
    if (note == std::string::npos) note = text.size();
    return "smalld " + text.insert(note, " sockets");
}

std::string instance_unit(const ServiceEntry& entry, const std::string& sockets) {
    std::string name = entry.name;
    return "# SPDX-License-Identifier: BSD-2-Clause\n"
           "# Generated from the service catalogue by smalld-units (do not edit).\n"
           "# The " +
           name + " instance's sockets, handed to smalld.service under the\n# name \"" + name +
           "\", which must match an instance section [" + name +
           "] in smalld.ini.\n"
           "# Started and enabled together with smalld.socket; see smalld(8), \"SYSTEMD\".\n"
           "[Unit]\n"
           "Description=" +
           description(entry.spec.title) +
           "\n"
           "Documentation=man:smalld(8)\n"
           "PartOf=smalld.socket\n"
           "\n[Socket]\n" +
           sockets + "FileDescriptorName=" + name +
           "\n"
           "Service=smalld.service\n"
           "\n[Install]\n"
           "WantedBy=sockets.target\n";
}

std::string main_unit(const ServiceEntry& entry, const std::string& sockets,
                      const std::vector<std::string>& others) {
    std::string name = entry.name;
    std::string wants, also;
    for (const auto& other : others) {
        wants += "Wants=" + other + "\n";
        also += "Also=" + other + "\n";
    }
    return "# SPDX-License-Identifier: BSD-2-Clause\n"
           "# Generated from the service catalogue by smalld-units (do not edit).\n"
           "# Socket activation for smalld. A socket unit carries one FileDescriptorName=,\n"
           "# and smalld matches descriptors to instances by that name, so every instance\n"
           "# has its own unit (smalld-echo.socket, ...), all with Service=smalld.service;\n"
           "# systemd passes the descriptors of every running socket unit that names the\n"
           "# service. This unit holds the " +
           name +
           " instance and pulls in the others:\n"
           "# \"systemctl enable --now smalld.socket\" covers them all.\n"
           "# See smalld(8), \"SYSTEMD\".\n"
           "[Unit]\n"
           "Description=smalld sockets (" +
           entry.spec.title +
           " and every other instance's unit)\n"
           "Documentation=man:smalld(8)\n" +
           wants + "\n[Socket]\n" + sockets + "FileDescriptorName=" + name +
           "\n"
           "Service=smalld.service\n"
           "\n[Install]\n"
           "WantedBy=sockets.target\n" +
           also;
}

std::string read_file(const char* path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: smalld-units SHIPPED_INI MAIN_TYPE DIR\n");
        return 64;
    }
    namespace fs = std::filesystem;
    auto shipped = parse_config(read_file(argv[1]), argv[1]);
    if (!shipped.ok()) {
        for (const auto& error : shipped.errors) fprintf(stderr, "%s\n", error.to_string().c_str());
        return 1;
    }
    std::string main_type = argv[2];
    fs::path dir = argv[3];
    const ServiceEntry* main_entry = nullptr;
    std::string main_sockets;
    std::vector<Unit> units;
    for (const auto& entry : service_catalogue()) {
        InstanceConfig listeners;
        if (const InstanceConfig* instance = shipped.config->find(entry.name);
            instance && instance->type == entry.type) {
            listeners = *instance;
        } else {
            listeners.type = entry.type;
            default_listeners(listeners);
        }
        std::string sockets = socket_lines(listeners);
        if (sockets.empty()) continue;
        if (entry.name == main_type) {
            main_entry = &entry;
            main_sockets = sockets;
        } else {
            units.push_back(
                {std::string("smalld-") + entry.name + ".socket", instance_unit(entry, sockets)});
        }
    }
    if (!main_entry) {
        fprintf(stderr, "smalld-units: no listening service type \"%s\"\n", main_type.c_str());
        return 1;
    }
    std::vector<std::string> others;
    for (const auto& unit : units) others.push_back(unit.file);
    units.insert(units.begin(), {"smalld.socket", main_unit(*main_entry, main_sockets, others)});

    fs::create_directories(dir);
    for (const auto& file : fs::directory_iterator(dir)) {
        std::string name = file.path().filename();
        if (name.starts_with("smalld-") && name.ends_with(".socket")) fs::remove(file.path());
    }
    std::string list;
    for (const auto& unit : units) {
        std::ofstream(dir / unit.file) << unit.text;
        list += unit.file + "\n";
    }
    std::ofstream out(dir / "socket-units.txt");
    out << list;
    if (!out) {
        fprintf(stderr, "smalld-units: cannot write in %s\n", dir.c_str());
        return 1;
    }
    return 0;
}
