// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Refusals as monitor events, coalesced like a rate-limited log line: the
// first refusal of a source (per instance, protocol and reason) in a second
// is an event at once; the rest of that second are only counted, and one
// summary event with their "count" follows when the second ends. A flood
// then costs the monitors an event or two a second per source, and the
// daemon no JSON per datagram. Memory is bounded: past kMaxSources sources
// in a second, the others are summed up together as "peer": "*".

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "address.h"
#include "event_handle.h"

namespace smalld {

struct Stats;

class RejectEvents {
  public:
    using Wanted = std::function<bool()>;
    using Emit = std::function<void(const nlohmann::json&)>;
    RejectEvents(event_base* base, Stats& stats, Wanted wanted, Emit emit);
    RejectEvents(const RejectEvents&) = delete;
    RejectEvents& operator=(const RejectEvents&) = delete;

    // `proto` and `reason` are static strings.
    void note(const std::string& instance, const char* proto, const SockAddr& peer,
              const char* reason);
    // Sends the summaries of the second now and starts a new one.
    void flush();

    static constexpr size_t kMaxSources = 1024;

  private:
    struct KeyView {
        std::string_view instance;
        std::string_view proto;
        std::string_view reason;
        SourceKey source;
        auto operator<=>(const KeyView& other) const {
            if (auto c = instance <=> other.instance; c != 0) return c;
            if (auto c = proto <=> other.proto; c != 0) return c;
            if (auto c = reason <=> other.reason; c != 0) return c;
            if (auto c = source.hi <=> other.source.hi; c != 0) return c;
            return source.lo <=> other.source.lo;
        }
    };
    struct Key {
        std::string instance;
        KeyView view() const { return {instance, proto, reason, source}; }
        std::string_view proto;
        std::string_view reason;
        SourceKey source;
    };
    // Looks a refusal up without building a key: no allocation per datagram.
    struct Less {
        using is_transparent = void;
        static KeyView v(const Key& k) { return k.view(); }
        static KeyView v(const KeyView& k) { return k; }
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const {
            return v(a) < v(b);
        }
    };
    struct Window {
        std::string peer;
        uint64_t coalesced = 0;  // refusals after the first
    };

    static void on_tick_cb(evutil_socket_t, short, void* self);
    static nlohmann::json event(const Key& key, const Window& window, uint64_t count);

    Stats& stats_;
    Wanted wanted_;
    Emit emit_;
    EventHandle tick_;
    std::map<Key, Window, Less> windows_;
};

}  // namespace smalld
