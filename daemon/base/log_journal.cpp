// SPDX-License-Identifier: BSD-2-Clause
#include "log_journal.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

namespace smalld::journal {

namespace {

// Beyond this journald is stuck: drop, count, go on (as the stderr queue does).
constexpr size_t kQueueLimit = 4 << 20;

void append_field(std::string& out, std::string_view name, std::string_view value) {
    out += name;
    if (value.find('\n') == std::string_view::npos) {
        out += '=';
        out += value;
    } else {  // binary-safe form: name, newline, 64-bit little-endian length, data
        out += '\n';
        uint64_t size = value.size();
        for (int i = 0; i < 8; ++i) out += char((size >> (8 * i)) & 0xff);
        out += value;
    }
    out += '\n';
}

}  // namespace

std::string format_entry(int priority, std::string_view message, std::string_view identifier,
                         const LogFields& fields) {
    std::string out;
    out.reserve(message.size() + 160);
    append_field(out, "MESSAGE", message);
    if (!fields.message_id.empty()) append_field(out, "MESSAGE_ID", fields.message_id);
    append_field(out, "PRIORITY", std::to_string(priority));
    if (!identifier.empty()) append_field(out, "SYSLOG_IDENTIFIER", identifier);
    if (!fields.instance.empty()) append_field(out, "SMALLD_INSTANCE", fields.instance);
    if (!fields.peer.empty()) append_field(out, "SMALLD_PEER", fields.peer);
    if (fields.session) append_field(out, "SMALLD_SESSION", std::to_string(fields.session));
    if (!fields.reason.empty()) append_field(out, "SMALLD_REASON", fields.reason);
    return out;
}

bool Writer::open(const char* path) {
    sockaddr_un addr{};
    if (strlen(path) >= sizeof addr.sun_path) return false;
    addr.sun_family = AF_UNIX;
    strcpy(addr.sun_path, path);
    Fd fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd || connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return false;
    fd_ = std::move(fd);
    return true;
}

bool Writer::enqueue(std::string entry) {
    if (bytes_ > kQueueLimit) return false;
    bytes_ += entry.size();
    queue_.push_back(std::move(entry));
    return true;
}

Writer::Result Writer::flush(uint64_t* lost) {
    while (!queue_.empty()) {
        const std::string& entry = queue_.front();
        ssize_t n = send(fd_.get(), entry.data(), entry.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) return Result::Busy;
        if (n < 0 && errno != EMSGSIZE) {  // journald went away
            *lost += queue_.size();
            queue_.clear();
            bytes_ = 0;
            return Result::Failed;
        }
        if (n < 0) ++*lost;  // one entry too large for a datagram: never expected
        bytes_ -= entry.size();
        queue_.pop_front();
    }
    return Result::Done;
}

void Writer::drop_all(uint64_t* lost) {
    *lost += queue_.size();
    queue_.clear();
    bytes_ = 0;
}

}  // namespace smalld::journal
