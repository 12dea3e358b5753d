// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// libevent calls the daemon from C: an exception thrown out of a callback
// would end the process (std::terminate, SIGABRT). So every callback
// trampoline runs its body through contain(): a throw is logged and contained,
// then `recover` cleans up what the callback served (closes that one client
// or session), and the loop goes on serving everybody else.

#include <exception>
#include <utility>

namespace smalld {

// Logs "WHERE: internal error: WHAT; contained" (never throws).
void log_contained(const char* where, const std::exception_ptr& error) noexcept;

template <typename Body, typename Recover>
void contain(const char* where, Body&& body, Recover&& recover) noexcept {
    try {
        std::forward<Body>(body)();
        return;
    } catch (...) {
        log_contained(where, std::current_exception());
    }
    try {
        std::forward<Recover>(recover)();
    } catch (...) {
        log_contained(where, std::current_exception());
    }
}

template <typename Body>
void contain(const char* where, Body&& body) noexcept {
    contain(where, std::forward<Body>(body), [] {});
}

}  // namespace smalld
