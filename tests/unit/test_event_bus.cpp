// SPDX-License-Identifier: BSD-2-Clause
// The event bus: every subscriber gets every event, side by side; one without
// room counts the event lost for itself while the others still get it; an
// event nobody has room for is not wanted, and each subscriber counts it
// lost; subscribing and unsubscribing inside a delivery is safe.
#include <cstring>
#include <string>
#include <vector>

#include "event_bus.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using smalld::BusEvent;
using smalld::EventBus;

namespace {

struct Listener {
    std::vector<std::string> got;  // the "event" field of each delivery
    size_t lost = 0;
    bool room = true;

    EventBus::Subscriber subscriber() {
        return {[this](const BusEvent& e) {
                    if (!room) {
                        ++lost;  // as a monitor whose queue is full does
                        return;
                    }
                    got.push_back(e.json().at("event").get<std::string>());
                },
                [this] { return room; }, [this] { ++lost; }};
    }
};

}  // namespace

static void every_subscriber_gets_every_event(void**) {
    EventBus bus;
    assert_false(bus.has_subscribers());
    assert_false(bus.wanted());
    bus.publish({{"event", "nobody"}});  // no subscriber: dropped, no crash
    Listener a, b;
    auto sa = bus.subscribe(a.subscriber());
    auto sb = bus.subscribe(b.subscriber());
    assert_true(bus.has_subscribers());
    assert_true(bus.wanted());
    bus.publish({{"event", "session_open"}});
    bus.publish({{"event", "session_close"}});
    assert_int_equal(a.got.size(), 2);
    assert_int_equal(b.got.size(), 2);
    assert_str_eq(a.got[0], "session_open");
    assert_str_eq(b.got[1], "session_close");
    assert_int_equal(bus.published(), 2);
}

static void events_carry_their_time_and_one_text(void**) {
    EventBus bus;
    std::vector<std::string> texts;
    const BusEvent* seen[2] = {};
    auto s1 = bus.subscribe({[&](const BusEvent& e) {
                                 seen[0] = &e;
                                 texts.push_back(e.text());
                             },
                             nullptr, nullptr});
    auto s2 = bus.subscribe({[&](const BusEvent& e) {
                                 seen[1] = &e;
                                 texts.push_back(e.text());
                                 assert_true(e.json().at("time").get<double>() > 1.6e9);
                             },
                             nullptr, nullptr});
    bus.publish({{"event", "reload"}, {"ok", true}});
    assert_ptr_equal(seen[0], seen[1]);  // the same event, not a copy each
    assert_int_equal(texts.size(), 2);
    assert_str_eq(texts[0], texts[1]);
    assert_non_null(strstr(texts[0].c_str(), "\"event\":\"reload\""));
}

static void a_subscriber_without_room_loses_only_its_own(void**) {
    EventBus bus;
    Listener full, ok;
    full.room = false;
    auto s1 = bus.subscribe(full.subscriber());
    auto s2 = bus.subscribe(ok.subscriber());
    assert_true(bus.wanted());  // someone has room: build it
    bus.publish({{"event", "session_open"}});
    assert_int_equal(ok.got.size(), 1);
    assert_int_equal(full.got.size(), 0);
    assert_int_equal(full.lost, 1);
    // Nobody has room: not wanted, and each counts it lost.
    ok.room = false;
    assert_false(bus.wanted());
    assert_int_equal(full.lost, 2);
    assert_int_equal(ok.lost, 1);
}

static void a_subscription_ends_when_destroyed(void**) {
    EventBus bus;
    Listener a;
    {
        auto s = bus.subscribe(a.subscriber());
        bus.publish({{"event", "one"}});
        EventBus::Subscription moved = std::move(s);
        assert_false(bool(s));
        assert_true(bool(moved));
        bus.publish({{"event", "two"}});
    }
    assert_false(bus.has_subscribers());
    bus.publish({{"event", "three"}});
    assert_int_equal(a.got.size(), 2);
}

static void unsubscribing_during_a_delivery_is_safe(void**) {
    EventBus bus;
    EventBus::Subscription first, second, third, late;
    int first_calls = 0, second_calls = 0, third_calls = 0, late_calls = 0;
    // The first, when called, ends itself and the second, and subscribes
    // another: the second is not called again, the newcomer from the next
    // event on.
    first = bus.subscribe(
        {[&](const BusEvent&) {
             ++first_calls;
             first.reset();
             second.reset();
             late = bus.subscribe({[&](const BusEvent&) { ++late_calls; }, nullptr, nullptr});
         },
         nullptr, nullptr});
    second = bus.subscribe({[&](const BusEvent&) { ++second_calls; }, nullptr, nullptr});
    third = bus.subscribe({[&](const BusEvent& e) {
                               ++third_calls;
                               // A publish from inside a delivery reaches everyone still
                               // subscribed.
                               if (e.json().at("event") == "outer")
                                   bus.publish({{"event", "inner"}});
                           },
                           nullptr, nullptr});
    bus.publish({{"event", "outer"}});
    assert_int_equal(first_calls, 1);
    assert_int_equal(second_calls, 0);
    assert_int_equal(third_calls, 2);  // outer, then inner
    assert_int_equal(late_calls, 1);   // inner only
    bus.publish({{"event", "again"}});
    assert_int_equal(first_calls, 1);
    assert_int_equal(third_calls, 3);
    assert_int_equal(late_calls, 2);
    // Room checks may unsubscribe too.
    EventBus::Subscription quitter;
    quitter = bus.subscribe({[](const BusEvent&) {},
                             [&] {
                                 quitter.reset();
                                 return false;
                             },
                             nullptr});
    assert_true(bus.wanted());
}

int main() {
    return run_test_group({cmocka_unit_test(every_subscriber_gets_every_event),
                           cmocka_unit_test(events_carry_their_time_and_one_text),
                           cmocka_unit_test(a_subscriber_without_room_loses_only_its_own),
                           cmocka_unit_test(a_subscription_ends_when_destroyed),
                           cmocka_unit_test(unsubscribing_during_a_delivery_is_safe)});
}
