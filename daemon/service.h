#pragma once
// The protocol logic of the small services. A service turns bytes in (and the
// time) into bytes out; it never touches a socket. Sessions and UDP endpoints
// do the I/O and call into it.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace smalld {

struct InstanceConfig;

// Wall-clock time as seen by a service: the real time plus the configured offset.
struct WallTime {
    int64_t unix_seconds = 0;
    uint32_t nanos = 0;
};
WallTime wall_now();

// How a TCP session drives a service.
enum class StreamMode {
    Echo,      // write back every byte read
    Discard,   // read and drop
    Generate,  // write generate() output whenever the peer can take it; drop input
    Message,   // write message() on connect, then close
};

class Service {
  public:
    virtual ~Service() = default;

    virtual StreamMode stream_mode() const = 0;

    // Message services: the whole TCP reply for a session opened at `now`.
    virtual std::string message(WallTime now) {
        (void)now;
        return {};
    }

    // Generate services: fills `out` with the stream continuing at byte `offset`
    // of the session's output. Returns the bytes written (always out.size()).
    virtual size_t generate(uint64_t offset, std::span<char> out) {
        (void)offset;
        return out.size() * 0;
    }

    // UDP: writes the reply to the datagram `in` into `out`, whose size is the
    // amplification cap. Returns the reply length, or -1 for no reply at all, or
    // -2 when the only possible reply would exceed the cap (counted as an
    // amplification drop). Services whose output may be cut (chargen, status)
    // truncate to out.size() instead.
    virtual ptrdiff_t datagram(std::span<const uint8_t> in, std::span<uint8_t> out,
                               WallTime now) = 0;
};

static constexpr ptrdiff_t kNoReply = -1;
static constexpr ptrdiff_t kReplyTooLarge = -2;

// Renders the status report; supplied by the daemon, which owns the statistics.
using StatusRenderer = std::function<std::string()>;

// Builds the service of an instance from its configuration. `status` is used
// only by the status type.
std::unique_ptr<Service> make_service(const InstanceConfig& config, StatusRenderer status);

}  // namespace smalld
