// SPDX-License-Identifier: BSD-2-Clause
// smallctl [-s SOCKET] [-j] COMMAND [ARGS]: the control client of smalld.
#include <errno.h>
#include <getopt.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "build_config.h"
#include "client.h"
#include "commands.h"
#include "format.h"
#include "top.h"
#include "utf8.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
constexpr int kExitDenied = 4;
// A reload re-reads the file and binds new sockets: give it time.
constexpr int kDefaultTimeoutMs = 60'000;

using Read = smallctl::Client::Read;

// Text from the daemon, made safe for a terminal (escape sequences in a
// config value quoted by a reload error, say, are shown, not obeyed).
std::string shown(std::string_view text) {
    return smalld::escape_unprintable_lines(text);
}

// -j: the reply line as received once it parsed as JSON, which keeps control
// characters out of strings; but JSON allows a raw CR between tokens and DEL
// inside a string. Then the same value, re-written with them escaped.
std::string json_shown(const std::string& line, const nlohmann::json& value) {
    for (unsigned char c : line)
        if (c < 0x20 || c == 0x7f) return value.dump(-1, ' ', true);
    return line;
}

constexpr option kLongOptions[] = {
    {"socket", required_argument, nullptr, 's'},  {"json", no_argument, nullptr, 'j'},
    {"timeout", required_argument, nullptr, 't'}, {"version", no_argument, nullptr, 'V'},
    {"help", no_argument, nullptr, 'h'},          {nullptr, 0, nullptr, 0},
};

}  // namespace

int main(int argc, char** argv) {
    std::string socket_path = SMALLD_CONTROL_SOCKET;
    bool raw = false;
    int timeout_ms = kDefaultTimeoutMs;
    int opt;
    // "+": stop at the command, so its arguments may start with '-'.
    while ((opt = getopt_long(argc, argv, "+s:jt:Vh", kLongOptions, nullptr)) != -1) {
        switch (opt) {
            case 's':
                socket_path = optarg;
                break;
            case 'j':
                raw = true;
                break;
            case 't':
                timeout_ms = smallctl::parse_timeout_ms(optarg);
                if (timeout_ms <= 0) {
                    fprintf(stderr,
                            "smallctl: -t: expected SECONDS (1 to 3600, such as 5 or 0.5), "
                            "got \"%s\"\n",
                            smalld::escape_unprintable(optarg).c_str());
                    return kExitUsage;
                }
                break;
            case 'V':
                printf("smallctl %s\n", SMALLD_VERSION);
                return kExitOk;
            case 'h':
                fputs(smallctl::usage_summary().c_str(), stdout);
                return kExitOk;
            default:
                fputs(smallctl::usage_summary().c_str(), stderr);
                return kExitUsage;
        }
    }
    std::vector<std::string> words(argv + optind, argv + argc);
    if (words.empty()) {
        fputs(smallctl::usage_summary().c_str(), stderr);
        return kExitUsage;
    }
    // The protocol is UTF-8, as smalld would say: refuse here, before JSON does.
    for (const auto& word : words)
        if (!smalld::valid_utf8(word)) {
            fprintf(stderr, "smallctl: \"%s\" is not valid UTF-8\n",
                    smalld::escape_unprintable(word).c_str());
            return kExitUsage;
        }
    smallctl::Resolved resolved = smallctl::resolve(words);
    if (!resolved.command) {
        fprintf(stderr, "smallctl: %s\n", resolved.error.c_str());
        return kExitUsage;
    }
    if (resolved.command == &smallctl::help_command()) {
        std::string error;
        std::optional<std::string> text = smallctl::help_text(resolved.args, &error);
        if (!text) {
            fprintf(stderr, "smallctl: help: %s\n", error.c_str());
            return kExitUsage;
        }
        fputs(text->c_str(), stdout);
        return kExitOk;
    }
    if (resolved.command == &smallctl::top_command())
        return smallctl::run_top(socket_path, resolved.args, timeout_ms);
    std::string command(resolved.command->name);

    smallctl::Client client;
    if (int err = client.connect_to(socket_path, timeout_ms))
        return smallctl::report_connect_error(socket_path, err);
    nlohmann::json request = {{"command", command}, {"args", resolved.args}};
    std::string line;
    if (!client.send_line(request.dump(), timeout_ms)) {
        // The daemon may have answered and closed first (too many clients).
        int err = errno;
        if (client.read_line(&line, 1000) != Read::Line) {
            fprintf(stderr, "smallctl: %s: cannot send the request: %s\n", socket_path.c_str(),
                    strerror(err));
            return kExitRefused;
        }
    } else if (Read r = client.read_line(&line, timeout_ms); r != Read::Line) {
        fprintf(stderr, "smallctl: %s: %s\n", socket_path.c_str(),
                smallctl::describe(r, timeout_ms, client).c_str());
        return kExitRefused;
    }
    nlohmann::json reply = nlohmann::json::parse(line, nullptr, false);
    if (reply.is_discarded() || !reply.is_object()) {
        fprintf(stderr, "smallctl: %s: the reply is not JSON: %s\n", socket_path.c_str(),
                shown(line.substr(0, 200)).c_str());
        return kExitRefused;
    }
    // Everything from the daemon is escaped for the terminal.
    if (!reply.value("ok", false)) {
        if (raw) printf("%s\n", json_shown(line, reply).c_str());
        auto error = reply.find("error");
        fprintf(stderr, "smallctl: %s\n",
                error != reply.end() && error->is_string()
                    ? shown(error->get<std::string>()).c_str()
                    : "failed");
        if (auto errors = reply.find("errors"); errors != reply.end() && errors->is_array())
            for (const auto& e : *errors)
                fprintf(stderr, "%s\n", e.is_string() ? shown(e.get<std::string>()).c_str() : "?");
        auto code = reply.find("code");
        std::string kind = code != reply.end() && code->is_string() ? code->get<std::string>() : "";
        if (kind == "denied") return kExitDenied;
        // The daemon checks what smallctl cannot: a session id, a level name.
        if (kind == "usage") return kExitUsage;
        return kExitRefused;
    }
    if (raw && command == "peers" && reply.contains("data")) {
        // The contract of `smallctl -j peers`: the list itself.
        printf("%s\n", reply["data"].dump(-1, ' ', true).c_str());
    } else if (raw) {
        printf("%s\n", json_shown(line, reply).c_str());
    } else {
        std::string error;
        std::optional<std::string> text = smallctl::render_reply(command, reply, &error);
        if (!text) {
            fprintf(stderr, "smallctl: %s: unexpected reply from smalld: %s\n", command.c_str(),
                    shown(error).c_str());
            return kExitRefused;
        }
        fputs(smalld::escape_unprintable_lines(*text).c_str(), stdout);
    }
    if (resolved.command->spec->id != smalld::control_protocol::Command::Monitor) return kExitOk;

    if (!raw) fprintf(stderr, "smallctl: monitoring %s; Ctrl-C to stop\n", socket_path.c_str());
    fflush(stdout);
    // smalld sends an empty line to a quiet monitor every 15 s: silence for
    // the timeout, and never less than two keep-alive periods, means it is
    // stuck or gone.
    int silence_ms = smallctl::monitor_silence_ms(timeout_ms);
    Read r;
    while ((r = client.read_line(&line, silence_ms)) == Read::Line) {
        if (line.empty()) continue;  // keep-alive
        nlohmann::json event = nlohmann::json::parse(line, nullptr, false);
        if (raw && event.is_object())
            printf("%s\n", json_shown(line, event).c_str());
        else
            fputs(event.is_object() ? shown(smallctl::format_event(event)).c_str()
                                    : (shown(line) + "\n").c_str(),
                  stdout);
        fflush(stdout);
    }
    fprintf(stderr, "smallctl: %s: %s\n", socket_path.c_str(),
            r == Read::Timeout ? ("no event or keep-alive from smalld for " +
                                  std::to_string(silence_ms / 1000) + " s; giving up")
                                     .c_str()
                               : smallctl::describe(r, silence_ms, client).c_str());
    return kExitRefused;
}
