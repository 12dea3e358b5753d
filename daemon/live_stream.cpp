// SPDX-License-Identifier: BSD-2-Clause
#include "live_stream.h"

#include <vector>

#include "contain.h"
#include "privacy.h"
#include "render.h"

namespace smalld {

LiveStream::LiveStream(event_base* base, EventBus& bus, Write write, Details details,
                       Sessions sessions)
    : bus_(bus),
      write_(std::move(write)),
      details_(std::move(details)),
      sessions_(std::move(sessions)) {
    keep_alive_.reset(event_new(base, -1, EV_PERSIST, on_keep_alive_cb, this));
}

std::string LiveStream::message(const BusEvent& event, bool details) {
    // The JSON text is one line: compact, with any newline inside a string
    // escaped, so it is one data field.
    std::string out = "data: ";
    out += details ? event.text() : to_json_text(public_event(event.json()));
    out += "\n\n";
    return out;
}

void LiveStream::add(uint64_t id) {
    streams_.insert(id);
    if (!subscription_)
        // A reader that cannot keep up is closed (see Write), so every
        // stream always has room: no event is built for nobody, though,
        // since the subscription ends with the last stream.
        subscription_ = bus_.subscribe(
            {[this](const BusEvent& event) { send_event(event); }, nullptr, nullptr});
    if (streams_.size() == 1) {
        timeval every{kKeepAliveMs / 1000, (kKeepAliveMs % 1000) * 1000};
        event_add(keep_alive_.get(), &every);
    }
    write_(id, kPreamble);
}

void LiveStream::remove(uint64_t id) {
    streams_.erase(id);
    if (!streams_.empty()) return;
    subscription_.reset();
    event_del(keep_alive_.get());
}

void LiveStream::send_all(std::string_view bytes) {
    // A copy: a write that fails closes its stream, which removes it.
    std::vector<uint64_t> ids(streams_.begin(), streams_.end());
    for (uint64_t id : ids) write_(id, bytes);
}

// Each form of the event made once, when a stream wants it.
void LiveStream::send_event(const BusEvent& event) {
    const std::string kind = event.json().value("event", "");
    if ((kind == "session_open" || kind == "session_close") && !sessions_()) return;
    std::vector<uint64_t> ids(streams_.begin(), streams_.end());  // as send_all
    std::string forms[2];                                         // without, with the details
    for (uint64_t id : ids) {
        bool details = details_(id);
        if (forms[details].empty()) forms[details] = message(event, details);
        write_(id, forms[details]);
    }
}

void LiveStream::on_keep_alive_cb(evutil_socket_t, short, void* self) {
    contain("metrics event stream", [&] { static_cast<LiveStream*>(self)->send_all(kKeepAlive); });
}

}  // namespace smalld
