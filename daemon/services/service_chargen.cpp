// SPDX-License-Identifier: BSD-2-Clause
// RFC 864: an endless stream of rotating printable lines over TCP; over UDP a
// datagram of a random 0-512 characters, cut to the amplification cap.
#include <array>
#include <cstring>

#include "service_registry.h"
#include "services.h"

namespace smalld {
namespace {

// One full cycle of the pattern, twice over, so that any window of up to one
// cycle is a single memcpy.
const std::array<char, 2 * kChargenCycle>& pattern() {
    static const auto table = [] {
        std::array<char, 2 * kChargenCycle> t{};
        for (size_t line = 0; line < 95; ++line) {
            char* p = t.data() + line * kChargenLineLength;
            for (size_t col = 0; col < 72; ++col)
                p[col] = static_cast<char>(' ' + (line + col) % 95);
            p[72] = '\r';
            p[73] = '\n';
        }
        std::memcpy(t.data() + kChargenCycle, t.data(), kChargenCycle);
        return t;
    }();
    return table;
}

constexpr size_t kMaxDatagram = 512;

class ChargenService final : public Service {
  public:
    explicit ChargenService(Random random) : random_(random) {}
    StreamMode stream_mode() const override { return StreamMode::Generate; }
    size_t generate(uint64_t offset, std::span<char> out) override {
        chargen_fill(offset, out);
        return out.size();
    }
    ptrdiff_t datagram(Datagram&, std::span<uint8_t> out) override {
        uint64_t r = random_.next();
        size_t len = std::min<size_t>(r % (kMaxDatagram + 1), out.size());
        chargen_fill((r >> 32) % 95 * kChargenLineLength,
                     {reinterpret_cast<char*>(out.data()), len});
        return static_cast<ptrdiff_t>(len);
    }

  private:
    Random random_;
};

}  // namespace

void chargen_fill(uint64_t offset, std::span<char> out) {
    const auto& table = pattern();
    size_t done = 0;
    size_t at = offset % kChargenCycle;
    while (done < out.size()) {
        size_t n = std::min(out.size() - done, kChargenCycle);
        std::memcpy(out.data() + done, table.data() + at, n);
        done += n;
        at = (at + n) % kChargenCycle;
    }
}

std::unique_ptr<Service> make_chargen_service(Random random) {
    return std::make_unique<ChargenService>(random);
}

// Its row in the catalogue (service_registry.h).
extern const ServiceSpec kChargenSpec{
    .title = "chargen (RFC 864)",
    .standard_port = 19,
    .make = [](const InstanceConfig&, StatusRenderer&) { return make_chargen_service(); },
};

}  // namespace smalld
