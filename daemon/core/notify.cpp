// SPDX-License-Identifier: BSD-2-Clause
#include "notify.h"

#include <cstdlib>
#include <cstring>
#include <ctime>

#ifdef SMALLD_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "utf8.h"

namespace smalld::notify {

#ifdef SMALLD_HAVE_SYSTEMD

// systemd drops a STATUS= that is not UTF-8, and a newline would start
// another assignment: the text may quote a config value.
void ready(const std::string& status) {
    sd_notifyf(0, "READY=1\nSTATUS=%s", escape_unprintable(status).c_str());
}

void status(const std::string& status) {
    sd_notifyf(0, "STATUS=%s", escape_unprintable(status).c_str());
}

void reloading() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned long long usec = static_cast<unsigned long long>(ts.tv_sec) * 1'000'000ULL +
                              static_cast<unsigned long long>(ts.tv_nsec) / 1000;
    sd_notifyf(0, "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%llu", usec);
}

void stopping() {
    sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void watchdog_ping() {
    sd_notify(0, "WATCHDOG=1");
}

std::chrono::microseconds watchdog_interval() {
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0) return {};
    return std::chrono::microseconds(usec / 2);
}

std::vector<PassedSocket> passed_sockets() {
    char** names = nullptr;
    int n = sd_listen_fds_with_names(1, &names);
    std::vector<PassedSocket> sockets;
    if (n < 0) {
        LOG_ERROR("cannot read the sockets systemd passed: %s", strerror(-n));
        return sockets;
    }
    for (int i = 0; i < n; ++i) {
        sockets.push_back({SD_LISTEN_FDS_START + i, names && names[i] ? names[i] : "unknown"});
        if (names) free(names[i]);
    }
    free(names);
    return sockets;
}

#else

void ready(const std::string&) {}
void status(const std::string&) {}
void reloading() {}
void stopping() {}
void watchdog_ping() {}
std::chrono::microseconds watchdog_interval() {
    return {};
}
std::vector<PassedSocket> passed_sockets() {
    return {};
}

#endif

}  // namespace smalld::notify
