// SPDX-License-Identifier: BSD-2-Clause
// `smallctl top`: the loop around render_top (top.h), on one control connection.
#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "client.h"
#include "top.h"
#include "utf8.h"

namespace smallctl {

namespace {

volatile sig_atomic_t stop_requested = 0;

void on_stop(int) {
    stop_requested = 1;
}

bool fetch_stats(Client& client, int timeout_ms, nlohmann::json* data, std::string* error) {
    std::string line;
    if (!client.send_line(R"({"command":"stats","args":[]})", timeout_ms)) {
        *error = std::string("cannot send the request: ") + strerror(errno);
        return false;
    }
    if (Client::Read r = client.read_line(&line, timeout_ms); r != Client::Read::Line) {
        *error = describe(r, timeout_ms, client);
        return false;
    }
    nlohmann::json reply = nlohmann::json::parse(line, nullptr, false);
    if (!reply.is_object() || !reply.value("ok", false) || !reply.contains("data") ||
        !reply["data"].is_object()) {
        *error = "unexpected reply: " + smalld::escape_unprintable(line.substr(0, 200));
        return false;
    }
    *data = std::move(reply["data"]);
    return true;
}

// Sleeps one second unless a signal asks to stop.
void pause_one_second() {
    timespec left = {1, 0};
    while (!stop_requested && nanosleep(&left, &left) != 0 && errno == EINTR) {
    }
}

}  // namespace

int run_top(const std::string& socket_path, const std::vector<std::string>& args, int timeout_ms) {
    long count = 0;  // 0: until interrupted
    if (!args.empty()) {
        char* end = nullptr;
        count = strtol(args[0].c_str(), &end, 10);
        if (*end || count <= 0 || count > 1'000'000) {
            fprintf(stderr, "smallctl: top: COUNT must be a positive number, got \"%s\"\n",
                    args[0].c_str());
            return 2;
        }
    }
    Client client;
    if (int err = client.connect_to(socket_path, timeout_ms))
        return report_connect_error(socket_path, err);
    std::string error;
    nlohmann::json before, after;
    if (!fetch_stats(client, timeout_ms, &before, &error)) {
        fprintf(stderr, "smallctl: top: %s\n", error.c_str());
        return 1;
    }
    bool live = isatty(STDOUT_FILENO);
    if (!live) count = 1;  // a snapshot: the rates over one second
    struct sigaction sa = {};
    sa.sa_handler = on_stop;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    if (live) fputs("\033[?25l", stdout);  // hide the cursor while redrawing
    int status = 0;
    for (long frame = 0; !stop_requested && (count == 0 || frame < count); ++frame) {
        pause_one_second();
        if (stop_requested) break;
        if (!fetch_stats(client, timeout_ms, &after, &error)) {
            fprintf(stderr, "smallctl: top: %s\n", error.c_str());
            status = 1;
            break;
        }
        // Names come from the daemon: nothing in them may drive the terminal.
        std::string screen = smalld::escape_unprintable_lines(render_top(before, after));
        if (live) fputs("\033[H\033[2J", stdout);
        fputs(screen.c_str(), stdout);
        fflush(stdout);
        before = std::move(after);
    }
    if (live) fputs("\033[?25h", stdout);
    fflush(stdout);
    return status;
}

}  // namespace smallctl
