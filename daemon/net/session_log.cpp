// SPDX-License-Identifier: BSD-2-Clause
#include "session_log.h"

#include "listener.h"
#include "log.h"
#include "log_journal.h"
#include "session.h"
#include "units.h"

namespace smalld {

namespace {

LogLimiter connection_log("connection log", 100, std::chrono::seconds(1));
LogLimiter reject_log("rejections", 10, std::chrono::seconds(10));

}  // namespace

void log_session_open(const Session& s) {
    if (!connection_log.admit(LogLevel::Info)) return;
    std::string peer = s.peer().to_string();
    LogFields fields{s.instance().config.name, peer, s.id(), {}, {}};
    LogContext context(fields);
    LOG_INFO("session %llu open: %s %s -> %s", static_cast<unsigned long long>(s.id()),
             s.instance().config.name.c_str(), peer.c_str(), s.local().to_string().c_str());
}

void log_session_close(const Session& s, double seconds, const char* reason) {
    if (!connection_log.admit(LogLevel::Info)) return;
    std::string peer = s.peer().to_string();
    LogFields fields{s.instance().config.name, peer, s.id(), reason, {}};
    LogContext context(fields);
    LOG_INFO("session %llu closed: %s %s, %s, in %s, out %s: %s",
             static_cast<unsigned long long>(s.id()), s.instance().config.name.c_str(),
             peer.c_str(), units::duration(seconds).c_str(),
             units::bytes(double(s.bytes_in())).c_str(),
             units::bytes(double(s.bytes_out())).c_str(), reason);
}

void log_refusal(const Instance& instance, Proto proto, const SockAddr& peer, const char* reason) {
    if (!reject_log.admit(LogLevel::Notice)) return;
    std::string address = peer.to_string();
    LogFields fields{instance.config.name, address, 0, reason, journal::message_id::kRefused};
    LogContext context(fields);
    LOG_NOTICE("%s: refused %s from %s: %s", instance.config.name.c_str(), to_string(proto),
               address.c_str(), reason);
}

}  // namespace smalld
