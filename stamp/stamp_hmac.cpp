// SPDX-License-Identifier: BSD-2-Clause
// SHA-256's own context (a plain struct) holds the keyed state: copying it
// is a memcpy, where EVP_MAC_CTX_dup and EVP_MD_CTX_copy_ex allocate per
// packet and cost several times as much (1.2 us against 6 us for
// EVP_MAC_CTX_dup, measured on the reference machine). OpenSSL 3 marks the
// SHA256_* functions deprecated, not removed.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "stamp_hmac.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace smalld::stamp {
namespace {

constexpr size_t kBlock = 64;  // SHA-256's block

// One key's inner and outer states (RFC 2104), each after its pad's block.
struct KeyedState {
    std::vector<uint8_t> key;
    SHA256_CTX inner, outer;
    uint64_t used = 0;  // 0: empty
};

struct Cache {
    static constexpr size_t kKeys = 4;
    KeyedState keys[kKeys];
    uint64_t clock = 0;

    const KeyedState& keyed(std::span<const uint8_t> key) {
        ++clock;
        KeyedState* oldest = &keys[0];
        for (KeyedState& k : keys) {
            if (k.used && k.key.size() == key.size() &&
                std::equal(key.begin(), key.end(), k.key.begin())) {
                k.used = clock;
                return k;
            }
            if (k.used < oldest->used) oldest = &k;
        }
        // A key longer than a block is its hash (RFC 2104 2).
        uint8_t block[kBlock] = {};
        if (key.size() > kBlock)
            SHA256(key.data(), key.size(), block);
        else if (!key.empty())
            std::memcpy(block, key.data(), key.size());
        uint8_t pad[kBlock];
        for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x36;
        SHA256_Init(&oldest->inner);
        SHA256_Update(&oldest->inner, pad, kBlock);
        for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x5c;
        SHA256_Init(&oldest->outer);
        SHA256_Update(&oldest->outer, pad, kBlock);
        oldest->key.assign(key.begin(), key.end());
        oldest->used = clock;
        return *oldest;
    }
};

}  // namespace

void hmac_sha256(std::span<const uint8_t> key, std::span<const uint8_t> data,
                 uint8_t out[kSha256Size]) {
    thread_local Cache cache;
    const KeyedState& state = cache.keyed(key);
    SHA256_CTX ctx = state.inner;
    uint8_t inner[kSha256Size];
    SHA256_Update(&ctx, data.data(), data.size());
    SHA256_Final(inner, &ctx);
    ctx = state.outer;
    SHA256_Update(&ctx, inner, sizeof inner);
    SHA256_Final(out, &ctx);
}

}  // namespace smalld::stamp
