// SPDX-License-Identifier: BSD-2-Clause
// The harness's runners (a shell command, smallctl, smallprobe), the
// configuration pieces tests share, and its readings of a process (RSS,
// descriptors).
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "harness.h"

namespace harness {

std::string run(const std::string& command, int* status, int timeout_s) {
    std::string wrapped = "timeout " + std::to_string(timeout_s) + " sh -c '";
    for (char c : command) wrapped += c == '\'' ? std::string("'\\''") : std::string(1, c);
    wrapped += "'";
    FILE* p = popen(wrapped.c_str(), "r");
    std::string out;
    if (!p) {
        if (status) *status = -1;
        return out;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    int rc = pclose(p);
    if (status) *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    return out;
}

std::string smallctl_at(const std::string& socket, const std::string& args, int* status,
                        const std::string& prefix) {
    return run(prefix + smallctl_bin() + " -s '" + socket + "' " + args + " 2>&1", status);
}

std::string smalld_bin() {
    return env_or("SMALLD_BIN", "smalld");
}

std::string smallctl_bin() {
    return env_or("SMALLCTL_BIN", "smallctl");
}

std::string smallprobe_bin() {
    return env_or("SMALLPROBE_BIN", "smallprobe");
}

std::string as_user(const std::string& uid) {
    return uid == "0" ? "" : "setpriv --reuid=" + uid + " --regid=" + uid + " --clear-groups ";
}

int smallctl_as(const TestDaemon& d, const std::string& uid, const std::string& args) {
    int status = -1;
    std::string out = smallctl(d, args, &status, as_user(uid));
    if (status != 0)
        fprintf(stderr, "smallctl %s as uid %s: %s", args.c_str(), uid.c_str(), out.c_str());
    return status;
}

nlohmann::json smallctl_json(const TestDaemon& d, const std::string& args) {
    std::string out = run(smallctl_bin() + " -s '" + d.control_socket() + "' -j " + args);
    return nlohmann::json::parse(out, nullptr, false);
}

std::string smallprobe(const std::string& args, int* status) {
    return run(smallprobe_bin() + " " + args, status, 60);
}

std::string control_head(const std::string& mode, const std::string& daemon_lines) {
    return "[daemon]\n" + daemon_lines + "[control]\nsocket =" +
           (mode.empty() ? "\n" : " @DIR@/control.sock\nmode = " + mode + "\n");
}

KeyFile::KeyFile(const std::string& secret) {
    char templ[] = "/tmp/smalld-key.XXXXXX";
    dir = mkdtemp(templ);
    path = dir + "/stamp.key";
    std::ofstream(path) << secret;
    chmod(path.c_str(), 0600);
}

KeyFile::~KeyFile() {
    run("rm -rf '" + dir + "'");
}

std::string stamp_pair(const KeyFile& key, const std::string& keys, const std::string& auth_keys) {
    return "[stamp]\nudp = 127.0.0.1:0\n" + keys +
           "[stamp-auth]\ntype = stamp\nudp = 127.0.0.1:0\nauth = required\nkey_file = " +
           key.path + "\n" + auth_keys;
}

void raise_fd_limit() {
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
}

void need_root(const char* for_what) {
    if (geteuid() == 0) return;
    fprintf(stderr, "skipped: needs root %s\n", for_what);
    exit(77);
}

int open_fds(pid_t pid) {
    DIR* dir = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
    if (!dir) return -1;
    int n = 0;
    while (const dirent* e = readdir(dir))
        if (e->d_name[0] != '.') ++n;
    closedir(dir);
    return n;
}

long settled_rss(const TestDaemon& d) {
    long last = d.rss_kib();
    for (int i = 0; i < 40; ++i) {
        usleep(500'000);
        long now = d.rss_kib();
        if (now - last < 64) return now;
        last = now;
    }
    return last;
}

}  // namespace harness
