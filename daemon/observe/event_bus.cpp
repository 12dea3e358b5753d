// SPDX-License-Identifier: BSD-2-Clause
#include "event_bus.h"

#include <algorithm>
#include <chrono>

#include "render.h"

namespace smalld {

const std::string& BusEvent::text() const {
    if (text_.empty()) text_ = to_json_text(json_);
    return text_;
}

EventBus::Subscription& EventBus::Subscription::operator=(Subscription&& other) noexcept {
    if (this != &other) {
        reset();
        bus_ = std::exchange(other.bus_, nullptr);
        id_ = std::exchange(other.id_, 0);
    }
    return *this;
}

void EventBus::Subscription::reset() {
    if (bus_) bus_->unsubscribe(id_);
    bus_ = nullptr;
    id_ = 0;
}

EventBus::Subscription EventBus::subscribe(Subscriber subscriber) {
    uint64_t id = next_id_++;
    entries_.push_back(Entry{id, std::move(subscriber)});
    return Subscription(this, id);
}

bool EventBus::has_subscribers() const {
    return std::any_of(entries_.begin(), entries_.end(), [](const Entry& e) { return !e.removed; });
}

void EventBus::unsubscribe(uint64_t id) {
    for (auto& entry : entries_)
        if (entry.id == id) entry.removed = true;
    sweep();
}

// Entries leave the vector only when no loop walks it.
void EventBus::sweep() {
    if (delivering_ == 0) std::erase_if(entries_, [](const Entry& e) { return e.removed; });
}

bool EventBus::wanted() {
    ++delivering_;
    size_t count = entries_.size();
    bool any = false;
    for (size_t i = 0; i < count && !any; ++i) {
        const Entry& e = entries_[i];
        any = !e.removed && (!e.subscriber.room || e.subscriber.room());
    }
    if (!any)
        for (size_t i = 0; i < count; ++i)
            if (!entries_[i].removed && entries_[i].subscriber.lost) entries_[i].subscriber.lost();
    --delivering_;
    sweep();
    return any;
}

void EventBus::publish(nlohmann::json event) {
    if (!has_subscribers()) return;
    auto now = std::chrono::system_clock::now().time_since_epoch();
    event["time"] =
        double(std::chrono::duration_cast<std::chrono::milliseconds>(now).count()) / 1000.0;
    BusEvent built(std::move(event));
    ++published_;
    ++delivering_;
    // By index, up to the entries there now: a delivery may subscribe or
    // unsubscribe.
    size_t count = entries_.size();
    for (size_t i = 0; i < count; ++i) {
        if (entries_[i].removed) continue;
        // The deque keeps this entry in place even if the call subscribes;
        // one that unsubscribes is only marked until the sweep.
        Entry& e = entries_[i];
        if (e.subscriber.deliver) e.subscriber.deliver(built);
    }
    --delivering_;
    sweep();
}

}  // namespace smalld
