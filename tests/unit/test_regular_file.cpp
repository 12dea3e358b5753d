// SPDX-License-Identifier: BSD-2-Clause
// read_regular_file: what a configuration or quotes file may be. Only regular
// files are read, of bounded size; FIFOs, devices and directories are refused
// without being read (a FIFO without even being opened), also through a
// symbolic link.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

#include "regular_file.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;

namespace {

std::string g_dir;

int setup(void**) {
    char templ[] = "/tmp/smalld-regular.XXXXXX";
    g_dir = mkdtemp(templ);
    return 0;
}

int teardown(void**) {
    std::string command = "rm -rf '" + g_dir + "'";
    return system(command.c_str()) == 0 ? 0 : -1;
}

std::string refusal(const std::string& path, size_t max = kMaxConfigFileBytes) {
    std::string error;
    auto text = read_regular_file(path, max, &error);
    if (text) return "read " + std::to_string(text->size()) + " bytes";
    return error;
}

}  // namespace

static void reads_a_regular_file(void**) {
    std::string path = g_dir + "/plain";
    std::ofstream(path) << "[echo]\n";
    std::string error;
    auto text = read_regular_file(path, kMaxConfigFileBytes, &error);
    assert_true(text.has_value());
    assert_str_eq(text->c_str(), "[echo]\n");
    std::ofstream(path).flush();  // empty
    text = read_regular_file(path, kMaxConfigFileBytes, &error);
    assert_true(text.has_value());
    assert_true(text->empty());
}

static void refuses_special_files(void**) {
    std::string fifo = g_dir + "/fifo";
    assert_int_equal(mkfifo(fifo.c_str(), 0600), 0);
    assert_str_eq(refusal(fifo).c_str(), "not a regular file (a FIFO)");
    assert_str_eq(refusal(g_dir).c_str(), "not a regular file (a directory)");
    assert_str_eq(refusal("/dev/null").c_str(), "not a regular file (a character device)");
    assert_str_eq(refusal("/dev/zero").c_str(), "not a regular file (a character device)");
    std::string link = g_dir + "/to-zero";
    assert_int_equal(symlink("/dev/zero", link.c_str()), 0);
    assert_str_eq(refusal(link).c_str(), "not a regular file (a character device)");
    std::string to_fifo = g_dir + "/to-fifo";
    assert_int_equal(symlink(fifo.c_str(), to_fifo.c_str()), 0);
    assert_str_eq(refusal(to_fifo).c_str(), "not a regular file (a FIFO)");
    std::string sock = g_dir + "/sock";
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    strncpy(addr.sun_path, sock.c_str(), sizeof addr.sun_path - 1);
    assert_int_equal(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    assert_str_eq(refusal(sock).c_str(), "not a regular file (a socket)");
    close(fd);
    assert_str_eq(refusal(g_dir + "/missing").c_str(), "cannot read: No such file or directory");
}

static void refuses_a_file_over_the_bound(void**) {
    std::string path = g_dir + "/big";
    std::ofstream(path) << std::string(4096, 'x');
    assert_str_eq(refusal(path, 4096).c_str(), "read 4096 bytes");
    std::ofstream(path) << std::string(4097, 'x');
    assert_str_eq(refusal(path, 4096).c_str(), "larger than 4 KiB (4097 bytes)");
    std::ofstream(path) << std::string(kMaxConfigFileBytes + 1, 'x');
    assert_str_eq(refusal(path).c_str(), "larger than 1 MiB (1048577 bytes)");
}

int main() {
    return run_test_group(
        {cmocka_unit_test(reads_a_regular_file), cmocka_unit_test(refuses_special_files),
         cmocka_unit_test(refuses_a_file_over_the_bound)},
        setup, teardown);
}
