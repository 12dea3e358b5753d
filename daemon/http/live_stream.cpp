// SPDX-License-Identifier: BSD-2-Clause
#include "live_stream.h"

#include <charconv>
#include <chrono>
#include <vector>

#include "contain.h"
#include "privacy.h"
#include "render.h"

namespace smalld {

namespace {

uint64_t start_of_run_us() {
    using namespace std::chrono;
    return uint64_t(duration_cast<microseconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace

LiveStream::LiveStream(event_base* base, EventBus& bus, Write write, Details details,
                       Sessions sessions)
    : bus_(bus),
      write_(std::move(write)),
      details_(std::move(details)),
      sessions_(std::move(sessions)),
      next_id_(start_of_run_us()),
      recorded_from_(next_id_) {
    keep_alive_.reset(event_new(base, -1, EV_PERSIST, on_keep_alive_cb, this));
    linger_.reset(evtimer_new(base, on_linger_cb, this));
}

std::string LiveStream::message(uint64_t id, const nlohmann::json& event, bool details) {
    // The JSON text is one line: compact, with any newline inside a string
    // escaped, so it is one data field. The kind is one of the daemon's own
    // words, never a client's.
    std::string out = "id: " + std::to_string(id) + "\nevent: ";
    out += event.value("event", "message");
    out += "\ndata: ";
    out += to_json_text(details ? event : public_event(event));
    out += "\n\n";
    return out;
}

const std::string& LiveStream::form(Kept& kept, bool details) {
    std::string& out = kept.forms[details];
    if (out.empty()) out = message(kept.id, kept.event, details);
    return out;
}

void LiveStream::add(uint64_t id, std::string_view last_event_id) {
    streams_.insert(id);
    event_del(linger_.get());
    if (!subscription_) {
        // A reader that cannot keep up is closed (see Write), so every
        // stream always has room: no event is built for nobody, though,
        // since the subscription ends kResumeMs after the last stream.
        subscription_ = bus_.subscribe(
            {[this](const BusEvent& event) { send_event(event); }, nullptr, nullptr});
        recorded_from_ = next_id_;
    }
    if (streams_.size() == 1) {
        timeval every{kKeepAliveMs / 1000, (kKeepAliveMs % 1000) * 1000};
        event_add(keep_alive_.get(), &every);
    }
    if (!write_(id, kPreamble)) return;
    if (!last_event_id.empty()) replay(id, last_event_id);
}

// The events after `last_event_id`, and first, if some of them are not
// here, how many (null: unknown).
void LiveStream::replay(uint64_t stream, std::string_view last_event_id) {
    uint64_t last = 0;
    auto [end, error] =
        std::from_chars(last_event_id.data(), last_event_id.data() + last_event_id.size(), last);
    bool ours = error == std::errc() && end == last_event_id.data() + last_event_id.size() &&
                last + 1 >= recorded_from_ && last < next_id_;
    uint64_t oldest = history_.empty() ? next_id_ : history_.front().id;
    if (!ours || last + 1 < oldest) {
        nlohmann::json lost = {{"event", "lost"},
                               {"count", ours ? nlohmann::json(oldest - last - 1) : nullptr}};
        // Not an event of the bus: it has no id, and the reader's
        // Last-Event-ID stays what it was until the next real one.
        if (!write_(stream, "event: lost\ndata: " + to_json_text(lost) + "\n\n")) return;
    }
    bool details = details_(stream);
    for (Kept& kept : history_)
        if (!ours || kept.id > last)
            if (!write_(stream, form(kept, details))) return;
}

void LiveStream::remove(uint64_t id) {
    streams_.erase(id);
    if (!streams_.empty()) return;
    event_del(keep_alive_.get());
    timeval linger{kResumeMs / 1000, (kResumeMs % 1000) * 1000};
    event_add(linger_.get(), &linger);
}

void LiveStream::on_linger_cb(evutil_socket_t, short, void* self) {
    auto* stream = static_cast<LiveStream*>(self);
    if (!stream->streams_.empty()) return;
    stream->subscription_.reset();
    stream->history_.clear();
    // A hole in the ids: what a reader saw before now is not this
    // recording's, so resuming from it says its loss is unknown.
    ++stream->next_id_;
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
    if (history_.size() >= kHistory) history_.pop_front();
    history_.push_back({next_id_++, event.json(), {}});
    Kept& kept = history_.back();
    std::vector<uint64_t> ids(streams_.begin(), streams_.end());  // as send_all
    for (uint64_t id : ids) write_(id, form(kept, details_(id)));
}

void LiveStream::on_keep_alive_cb(evutil_socket_t, short, void* self) {
    contain("metrics event stream", [&] { static_cast<LiveStream*>(self)->send_all(kKeepAlive); });
}

}  // namespace smalld
