// SPDX-License-Identifier: BSD-2-Clause
// The stream plumbing the control socket and the HTTP endpoint share (and the
// TCP listeners' accept): the acceptor takes at most its batch per wakeup and,
// out of descriptors, pauses instead of spinning, then serves the backlog; a
// stream connection sends a queue larger than the socket's buffer in order as
// the peer takes it, counts what left, ends once through close(reason) (a
// throw in a callback closes it as "internal error", a deadline calls the
// owner), and is freed by its table's reaper after the callback.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "acceptor.h"
#include "stream_connection.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPatience = std::chrono::seconds(10);
// One turn of the loop: what is ready now, without waiting.
constexpr int kOnePass = EVLOOP_ONCE | EVLOOP_NONBLOCK;

// One turn of the loop that waits for something to happen, 100 ms at most.
void wait_turn(event_base* base) {
    timeval most{0, 100'000};
    event_base_loopexit(base, &most);
    event_base_loop(base, EVLOOP_ONCE);
}

// A listening AF_UNIX socket in the abstract namespace (no file to clean up).
int unix_listener(sockaddr_un* addr, socklen_t* len) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    *addr = {};
    addr->sun_family = AF_UNIX;
    std::string name = "smalld-test-acceptor-" + std::to_string(getpid());
    std::memcpy(addr->sun_path + 1, name.data(), name.size());
    *len = socklen_t(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    if (bind(fd, reinterpret_cast<sockaddr*>(addr), *len) != 0 || listen(fd, 64) != 0) return -1;
    return fd;
}

void acceptor_takes_a_batch_and_pauses_when_out_of_descriptors(void**) {
    sockaddr_un addr;
    socklen_t len;
    int listener = unix_listener(&addr, &len);
    assert_true(listener >= 0);
    std::vector<int> clients;
    for (int i = 0; i < 5; ++i) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_int_equal(connect(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
        clients.push_back(fd);
    }
    event_base* base = event_base_new();
    std::vector<int> admitted;
    int exhausted = 0;
    Acceptor acceptor;
    acceptor.start(
        base, listener, "test", {"test", 2, nullptr, false},
        [&](int fd, const SockAddr&) { admitted.push_back(fd); }, [&](int) { ++exhausted; });
    event_base_loop(base, kOnePass);
    assert_int_equal(admitted.size(), 2);  // one batch per wakeup
    event_base_loop(base, kOnePass);
    assert_int_equal(admitted.size(), 4);

    // Out of descriptors: every number below the limit is taken.
    rlimit saved;
    getrlimit(RLIMIT_NOFILE, &saved);
    int probe = open("/dev/null", O_RDONLY | O_CLOEXEC);
    rlimit low = saved;
    low.rlim_cur = rlim_t(probe + 8);
    close(probe);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    std::vector<int> fillers;
    for (int fd; fillers.size() < 64 && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;)
        fillers.push_back(fd);
    for (int i = 0; i < 5; ++i) event_base_loop(base, kOnePass);
    // One failed accept, counted once, then a pause: no spinning.
    assert_int_equal(exhausted, 1);
    assert_int_equal(admitted.size(), 4);
    for (int fd : fillers) close(fd);
    setrlimit(RLIMIT_NOFILE, &saved);
    // After the pause the backlog is served.
    auto until = Clock::now() + kPatience;
    while (admitted.size() < 5 && Clock::now() < until) wait_turn(base);
    assert_int_equal(admitted.size(), 5);
    assert_int_equal(exhausted, 1);

    acceptor.stop();
    for (int fd : admitted) close(fd);
    for (int fd : clients) close(fd);
    close(listener);
    event_base_free(base);
}

struct Conn;

// An endpoint as the control socket and the HTTP endpoint are: it keeps its
// handlers private and befriends ServedConnection.
class Owner {
  public:
    std::vector<std::string> closes;
    std::string received;
    bool throw_on_read = false;
    int deadlines = 0;

  private:
    template <class, class>
    friend class smalld::ServedConnection;
    void read_ready(Conn& c);
    void write_ready(Conn& c);
    void timed_out(Conn& c);
    void closed(Conn&, const char* reason) { closes.emplace_back(reason); }
};

struct Conn final : ServedConnection<Owner, Conn> {
    using ServedConnection::ServedConnection;
};

void Owner::read_ready(Conn& c) {
    if (throw_on_read) throw std::runtime_error("test");
    char buf[256];
    ssize_t n = c.receive(buf, sizeof buf);
    if (n == 0) return c.close("closed by the peer");
    if (n > 0) received.append(buf, size_t(n));
}

void Owner::write_ready(Conn& c) {
    if (c.flush() && c.queued() == 0) c.writing(false);
}

void Owner::timed_out(Conn& c) {
    ++deadlines;
    c.close("deadline");
}

struct Pair {
    EventBaseHandle loop{event_base_new()};  // freed last
    event_base* base = loop.get();
    Owner owner;
    StreamTable<Conn> table;
    int peer = -1;
    Conn* conn = nullptr;

    Pair() {
        int fds[2];
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds);
        peer = fds[1];
        table.start(base, "test");
        conn = &table.add(std::make_unique<Conn>(owner), fds[0]);
    }
    ~Pair() { close(peer); }
};

void connection_sends_a_large_queue_in_order_and_closes_once(void**) {
    Pair p;
    Conn& c = *p.conn;
    assert_int_equal(c.id(), 1);
    std::string big(1 << 20, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = char('a' + i % 26);
    c.append(big);
    assert_true(c.flush());
    assert_true(c.queued() > 0);  // more than the socket buffer holds
    assert_int_equal(c.sent() + c.queued(), big.size());
    c.writing(true);
    std::string got;
    auto until = Clock::now() + kPatience;
    while (got.size() < big.size() && Clock::now() < until) {
        char buf[65536];
        ssize_t n = recv(p.peer, buf, sizeof buf, 0);
        if (n > 0) got.append(buf, size_t(n));
        event_base_loop(p.base, kOnePass);
    }
    assert_true(got == big);
    assert_int_equal(c.queued(), 0);
    assert_int_equal(c.sent(), big.size());

    assert_int_equal(send(p.peer, "hello", 5, 0), 5);
    event_base_loop(p.base, kOnePass);
    assert_string_equal(p.owner.received.c_str(), "hello");

    // The peer's EOF: closed with the owner's reason, then reaped (`c` is
    // gone after the turn of the loop that closed it).
    shutdown(p.peer, SHUT_WR);
    until = Clock::now() + kPatience;
    while (p.table.size() > 0 && Clock::now() < until) event_base_loop(p.base, kOnePass);
    assert_int_equal(p.table.size(), 0);
    assert_int_equal(p.owner.closes.size(), 1);
    assert_string_equal(p.owner.closes[0].c_str(), "closed by the peer");
}

void close_is_one_path_and_the_reaper_frees_later(void**) {
    Pair p;
    Conn& c = *p.conn;
    c.append("unsent");
    c.close("first");
    c.close("again");  // one close path: the second is nothing
    assert_true(c.dead());
    assert_int_equal(c.queued(), 0);
    assert_int_equal(p.owner.closes.size(), 1);
    assert_string_equal(p.owner.closes[0].c_str(), "first");
    // Still there until the loop runs the reaper: a close inside a callback
    // never frees the connection under the callback's feet.
    assert_int_equal(p.table.size(), 1);
    assert_int_equal(p.table.live(), 0);
    assert_null(p.table.find(c.id()));
    event_base_loop(p.base, kOnePass);
    assert_int_equal(p.table.size(), 0);
}

void a_throw_closes_the_connection_and_a_deadline_calls_the_owner(void**) {
    {
        Pair p;
        p.owner.throw_on_read = true;
        assert_int_equal(send(p.peer, "x", 1, 0), 1);
        event_base_loop(p.base, kOnePass);
        assert_int_equal(p.owner.closes.size(), 1);
        assert_string_equal(p.owner.closes[0].c_str(), "internal error");
        assert_int_equal(p.table.live(), 0);
    }
    {
        Pair p;
        p.conn->arm(10);
        auto until = Clock::now() + kPatience;
        while (p.owner.deadlines == 0 && Clock::now() < until) wait_turn(p.base);
        assert_int_equal(p.owner.deadlines, 1);
        assert_int_equal(p.owner.closes.size(), 1);
        assert_string_equal(p.owner.closes[0].c_str(), "deadline");
    }
}

}  // namespace

int main() {
    return run_test_group(
        {cmocka_unit_test(acceptor_takes_a_batch_and_pauses_when_out_of_descriptors),
         cmocka_unit_test(connection_sends_a_large_queue_in_order_and_closes_once),
         cmocka_unit_test(close_is_one_path_and_the_reaper_frees_later),
         cmocka_unit_test(a_throw_closes_the_connection_and_a_deadline_calls_the_owner)});
}
