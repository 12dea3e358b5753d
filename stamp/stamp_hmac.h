// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// HMAC-SHA-256 with the keyed state made once per key: the key's inner and
// outer pads are hashed when a key is first seen, and each packet copies
// that state instead of starting over, so a sender or reflector that reads
// its clock before the HMAC adds as little as it can between the reading
// and the packet's departure. A few keys per thread are remembered.

#include <cstddef>
#include <cstdint>
#include <span>

namespace smalld::stamp {

inline constexpr size_t kSha256Size = 32;

// HMAC-SHA-256 of `data` under `key`, the whole 32 bytes.
void hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> data,
                 uint8_t out[kSha256Size]);

}  // namespace smalld::stamp
