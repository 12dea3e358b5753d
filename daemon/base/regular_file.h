// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Reading a file the configuration depends on (the configuration itself, a
// qotd quotes file): only a regular file, of bounded size, never blocking.
// A FIFO, a device, a directory or a socket is refused before it is opened,
// so /dev/zero cannot grow memory and a FIFO cannot stall the event loop.

#include <cstddef>
#include <optional>
#include <string>

namespace smalld {

// The most a configuration file or a quotes file may hold (smalld.ini(5)).
inline constexpr size_t kMaxConfigFileBytes = 1024 * 1024;

// The whole file, or nullopt and *error saying why not, without the path:
// "not a regular file (a FIFO)", "larger than 1 MiB (...)", "cannot read: ...".
// A file that changed while being read (its size or modification time moved)
// is read once more; if it changed again, it is refused as being written.
std::optional<std::string> read_regular_file(const std::string& path, size_t max_bytes,
                                             std::string* error);

}  // namespace smalld
