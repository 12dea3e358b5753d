// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// The daemon's events (session open/close, refusals, reloads) for whoever
// listens: the control socket's monitors, the live page's event stream.
// Any number of subscribers, side by side. Each says whether it has room for
// one more event; a subscriber without room counts the event as lost for
// itself. An event nobody has room for is not built at all: callers on a hot
// path ask wanted() first.

#include <cstdint>
#include <deque>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace smalld {

// One event as it is delivered: the JSON, stamped with its "time" (Unix
// seconds), and its compact text, made once for every subscriber that asks.
class BusEvent {
  public:
    explicit BusEvent(nlohmann::json event) : json_(std::move(event)) {}
    const nlohmann::json& json() const { return json_; }
    const std::string& text() const;  // see to_json_text()

  private:
    nlohmann::json json_;
    mutable std::string text_;
};

class EventBus {
  public:
    struct Subscriber {
        std::function<void(const BusEvent&)> deliver;
        // Whether the subscriber can take one more event; empty: always.
        std::function<bool()> room;
        // Called instead of deliver when an event was not built because no
        // subscriber had room; empty: nothing to count.
        std::function<void()> lost;
    };

    // Unsubscribes when destroyed (or reset). The bus must outlive it.
    class Subscription {
      public:
        Subscription() = default;
        Subscription(EventBus* bus, uint64_t id) : bus_(bus), id_(id) {}
        Subscription(Subscription&& other) noexcept { *this = std::move(other); }
        Subscription& operator=(Subscription&& other) noexcept;
        Subscription(const Subscription&) = delete;
        Subscription& operator=(const Subscription&) = delete;
        ~Subscription() { reset(); }
        void reset();
        explicit operator bool() const { return bus_ != nullptr; }

      private:
        EventBus* bus_ = nullptr;
        uint64_t id_ = 0;
    };

    EventBus() = default;
    EventBus(const EventBus&) = delete;
    EventBus& operator=(const EventBus&) = delete;

    [[nodiscard]] Subscription subscribe(Subscriber subscriber);
    bool has_subscribers() const;
    // True when some subscriber has room. Otherwise every subscriber counts
    // the event as lost and the caller need not build it.
    bool wanted();
    // Stamps the event with its time and hands it to every subscriber (those
    // without room count it lost themselves). Subscribing or unsubscribing
    // during a delivery is safe: a subscription made during one delivery
    // sees the next event, one ended is not called again.
    void publish(nlohmann::json event);
    size_t published() const { return published_; }

  private:
    struct Entry {
        uint64_t id;
        Subscriber subscriber;
        bool removed = false;
    };
    void unsubscribe(uint64_t id);
    void sweep();

    std::deque<Entry> entries_;  // a deque: push_back during a delivery keeps references
    uint64_t next_id_ = 1;
    int delivering_ = 0;  // nesting depth of publish/wanted: removal is deferred
    size_t published_ = 0;
};

}  // namespace smalld
