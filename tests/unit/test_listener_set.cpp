// SPDX-License-Identifier: BSD-2-Clause
// The listener plan of a start or a reload, without sockets: which running
// listeners are kept, handed over or closed, and which are opened.
#include <string>
#include <vector>

#include "endpoint.h"
#include "listener_set.h"

// cmocka last: its fail() macro breaks C++ headers included after it.
#include "../cmocka.hpp"

using namespace smalld;
using Step = ListenerPlan::Step;

namespace {

InstanceConfig instance(const char* name, ServiceType type, std::vector<const char*> tcp,
                        std::vector<const char*> udp = {}) {
    InstanceConfig config;
    config.name = name;
    config.type = type;
    for (const char* a : tcp) config.tcp.push_back(at(a));
    for (const char* a : udp) config.udp.push_back(at(a));
    return config;
}

ListenerKey key(const char* name, ServiceType type, Proto proto, const char* addr,
                Origin origin = Origin::Config) {
    return {name, type, proto, at(addr), origin};
}

// The running listeners that a configuration's start-up plan opens.
std::vector<ListenerKey> started(const std::vector<InstanceConfig>& config) {
    std::vector<ListenerKey> keys;
    for (const auto& open : plan_listeners({}, config).open)
        keys.push_back({open.config->name, open.config->type, open.proto, open.addr});
    return keys;
}

}  // namespace

static void start_opens_everything_in_order(void**) {
    std::vector<InstanceConfig> config = {
        instance("echo", ServiceType::Echo, {"127.0.0.1:7", "[::1]:7"}, {"127.0.0.1:7"}),
        instance("time", ServiceType::Time, {}, {"127.0.0.1:37"}),
    };
    ListenerPlan plan = plan_listeners({}, config);
    assert_true(plan.running.empty());
    assert_false(plan.closes_all());
    assert_int_equal(plan.open.size(), 4);
    std::vector<std::string> opened;
    for (const auto& o : plan.open)
        opened.push_back(o.config->name + " " + describe(o.proto, o.addr));
    assert_true(opened ==
                std::vector<std::string>({"echo tcp 127.0.0.1:7", "echo tcp [::1]:7",
                                          "echo udp 127.0.0.1:7", "time udp 127.0.0.1:37"}));
}

static void unchanged_config_keeps_everything(void**) {
    std::vector<InstanceConfig> config = {
        instance("echo", ServiceType::Echo, {"127.0.0.1:7"}, {"127.0.0.1:7"}),
        instance("chargen", ServiceType::Chargen, {"127.0.0.1:0"}),
    };
    auto running = started(config);
    ListenerPlan plan = plan_listeners(running, config);
    assert_true(plan.open.empty());
    for (size_t i = 0; i < running.size(); ++i) {
        assert_int_equal(plan.running[i].step, Step::Keep);
        assert_str_eq(plan.running[i].instance, running[i].instance);
    }
}

static void added_and_removed_addresses(void**) {
    auto running = started({instance("echo", ServiceType::Echo, {"127.0.0.1:7", "127.0.0.2:7"})});
    std::vector<InstanceConfig> moved = {
        instance("echo", ServiceType::Echo, {"127.0.0.2:7", "127.0.0.3:7"})};
    ListenerPlan plan = plan_listeners(running, moved);
    assert_int_equal(plan.running[0].step, Step::Close);
    assert_int_equal(plan.running[1].step, Step::Keep);
    assert_int_equal(plan.open.size(), 1);
    assert_str_eq(describe(plan.open[0].proto, plan.open[0].addr), "tcp 127.0.0.3:7");
    // The same address over the other protocol is another listener.
    std::vector<InstanceConfig> udp_only = {
        instance("echo", ServiceType::Echo, {}, {"127.0.0.1:7"})};
    plan = plan_listeners(running, udp_only);
    assert_true(plan.closes_all());
    assert_int_equal(plan.open.size(), 1);
}

// A renamed instance, an address moved to another instance: the socket
// changes owner without closing.
static void renamed_instance_is_handed_over(void**) {
    auto running = started({instance("echo", ServiceType::Echo, {"127.0.0.1:7"}),
                            instance("lab", ServiceType::Echo, {"127.0.0.1:7007"})});
    // The plan points into the configuration it was made for: keep it.
    std::vector<InstanceConfig> renamed = {
        instance("echo", ServiceType::Echo, {"127.0.0.1:7"}),
        instance("lab2", ServiceType::Discard, {"127.0.0.1:7007"})};
    ListenerPlan plan = plan_listeners(running, renamed);
    assert_int_equal(plan.running[0].step, Step::Keep);
    assert_int_equal(plan.running[1].step, Step::HandOver);
    assert_str_eq(plan.running[1].instance, "lab2");
    assert_true(plan.open.empty());
    // The instance keeping its own address wins over one that would take it.
    std::vector<InstanceConfig> both = {instance("other", ServiceType::Echo, {"127.0.0.1:7"}),
                                        instance("echo", ServiceType::Echo, {"127.0.0.1:7"})};
    plan = plan_listeners(running, both);
    assert_int_equal(plan.running[0].step, Step::Keep);
    assert_str_eq(plan.running[0].instance, "echo");
    assert_int_equal(plan.open.size(), 1);
    assert_str_eq(plan.open[0].config->name, "other");
}

// Port 0 asked for no port in particular: only an instance of the same type
// takes such a socket over.
static void port_zero_goes_to_the_same_type_only(void**) {
    auto running = started({instance("a", ServiceType::Echo, {"127.0.0.1:0"})});
    std::vector<InstanceConfig> other_type = {instance("b", ServiceType::Discard, {"127.0.0.1:0"})};
    ListenerPlan plan = plan_listeners(running, other_type);
    assert_int_equal(plan.running[0].step, Step::Close);
    assert_int_equal(plan.open.size(), 1);
    std::vector<InstanceConfig> same_type = {instance("c", ServiceType::Echo, {"127.0.0.1:0"})};
    plan = plan_listeners(running, same_type);
    assert_int_equal(plan.running[0].step, Step::HandOver);
    assert_str_eq(plan.running[0].instance, "c");
}

// systemd's sockets replace an instance's configured addresses, and are
// never handed to another instance.
static void systemd_sockets_replace_configured_addresses(void**) {
    std::vector<ListenerKey> running = {
        key("echo", ServiceType::Echo, Proto::Tcp, "0.0.0.0:7", Origin::Systemd),
        key("echo", ServiceType::Echo, Proto::Udp, "0.0.0.0:7", Origin::Systemd),
        key("gone", ServiceType::Echo, Proto::Tcp, "0.0.0.0:9", Origin::Systemd),
    };
    std::vector<InstanceConfig> next = {instance("echo", ServiceType::Echo, {"127.0.0.1:7"}),
                                        instance("other", ServiceType::Echo, {"0.0.0.0:9"})};
    ListenerPlan plan = plan_listeners(running, next);
    assert_int_equal(plan.running[0].step, Step::Keep);
    assert_int_equal(plan.running[1].step, Step::Keep);
    assert_int_equal(plan.running[2].step, Step::Close);
    assert_int_equal(plan.open.size(), 1);
    assert_str_eq(plan.open[0].config->name, "other");
    assert_str_eq(running[0].to_string(), "echo tcp 0.0.0.0:7 systemd");
}

int main() {
    return run_test_group({cmocka_unit_test(start_opens_everything_in_order),
                           cmocka_unit_test(unchanged_config_keeps_everything),
                           cmocka_unit_test(added_and_removed_addresses),
                           cmocka_unit_test(renamed_instance_is_handed_over),
                           cmocka_unit_test(port_zero_goes_to_the_same_type_only),
                           cmocka_unit_test(systemd_sockets_replace_configured_addresses)});
}
