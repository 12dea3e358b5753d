// SPDX-License-Identifier: BSD-2-Clause
#include "contain.h"

#include <new>
#include <stdexcept>

#include "log.h"

namespace smalld {

void log_contained(const char* where, const std::exception_ptr& error) noexcept {
    try {
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            LOG_ERROR("%s: internal error: %s; contained, smalld goes on", where, e.what());
        } catch (...) {
            LOG_ERROR("%s: internal error: an unknown exception; contained, smalld goes on", where);
        }
    } catch (...) {
        // Out of memory while logging: nothing more to say.
    }
}

}  // namespace smalld
