// SPDX-License-Identifier: BSD-2-Clause
// SessionTable: the sessions' pool and list, their one close path, the sweeper.
#include "session.h"

#include <new>

#include "contain.h"

namespace smalld {

namespace {
// How long a session that sent its reply keeps discarding the peer's input
// before it closes anyway (closing with unread input would reset the peer and
// could destroy the reply in flight; see Session::message_done()).
constexpr int64_t kLingerMs = 2000;
constexpr timeval kSweepInterval = {0, 250'000};
}  // namespace

SessionTable::SessionTable(event_base* base, Stats& stats, IoBuffers& buffers)
    : base_(base), stats_(stats), buffers_(buffers) {
    sweeper_.reset(event_new(base, -1, EV_PERSIST, on_sweep_cb, this));
    event_add(sweeper_.get(), &kSweepInterval);
}

SessionTable::~SessionTable() {
    close_all("shutdown");
}

SessionTable::Watch::Watch(SessionTable& table, const Session* session)
    : table_(table), previous_(table.watched_), previous_closed_(table.watched_closed_) {
    table.watched_ = session;
    table.watched_closed_ = false;
}

SessionTable::Watch::~Watch() {
    table_.watched_ = previous_;
    table_.watched_closed_ = previous_closed_;
}

bool SessionTable::open(std::shared_ptr<Instance> instance, int fd, const SockAddr& peer,
                        const SockAddr* local) {
    void* memory = pool_.allocate();
    if (!memory) return false;
    instance->state->admission.opened(source_key(peer));
    ++instance->stats->tcp.sessions_total;
    ++stats_.counters.conn_accepted_total;
    auto* session = new (memory) Session(*this, next_id_++, std::move(instance), fd, peer, local);
    session->next_ = head_;
    if (head_) head_->prev_ = session;
    head_ = session;
    ++count_;
    Watch watch(*this, session);
    if (on_open) on_open(*session);
    if (!watch.closed()) session->start();
    return true;
}

void SessionTable::close(Session& session, const char* reason) {
    if (&session == watched_) {
        if (watched_closed_) return;
        watched_closed_ = true;
    }
    if (session.prev_)
        session.prev_->next_ = session.next_;
    else
        head_ = session.next_;
    if (session.next_) session.next_->prev_ = session.prev_;
    --count_;
    const Instance& instance = session.instance();
    instance.state->admission.closed(session.source());
    instance.stats->session_duration.observe(double(monotonic_ms() - session.opened_ms()) / 1000);
    if (on_close) on_close(session, reason);
    session.~Session();
    pool_.release(&session);
}

bool SessionTable::kill(uint64_t id) {
    for (Session* s = head_; s; s = s->next_) {
        if (s->id() != id) continue;
        close(*s, "killed by control command");
        return true;
    }
    return false;
}

void SessionTable::finish_all() {
    // finish() may close the session: step on before it does.
    for (Session* s = head_; s;) {
        Session* next = s->next_;
        s->finish();
        s = next;
    }
}

void SessionTable::close_all(const char* reason) {
    while (head_) close(*head_, reason);
}

void SessionTable::on_sweep_cb(evutil_socket_t, short, void* self) {
    contain("session sweep", [&] { static_cast<SessionTable*>(self)->sweep(); });
}

void SessionTable::sweep() {
    chunk_pool_decay();
    pool_.trim();
    int64_t now = monotonic_ms();
    for (Session* s = head_; s;) {
        Session* next = s->next_;
        const InstanceConfig& config = s->instance().config;
        int64_t idle = config.idle_timeout.count(), max = config.max_duration.count();
        if (s->state() == Session::State::Lingering && now - s->active_ms() >= kLingerMs)
            close(*s, "done");
        else if (max > 0 && now - s->opened_ms() >= max)
            close(*s, "max_duration reached");
        else if (idle > 0 && now - s->active_ms() >= idle)
            close(*s, "idle_timeout reached");
        s = next;
    }
}

}  // namespace smalld
