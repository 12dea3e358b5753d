// SPDX-License-Identifier: BSD-2-Clause
#include "listener_set.h"

#include "log.h"

namespace smalld {

ListenerKey ListenerKey::of(const Listener& listener) {
    return {listener.instance().config.name, listener.instance().config.type, listener.proto(),
            listener.configured(), listener.origin()};
}

std::string ListenerKey::to_string() const {
    return instance + " " + describe(proto, configured) +
           (origin == Origin::Systemd ? " systemd" : "");
}

std::string describe(Proto proto, const SockAddr& addr) {
    return std::string(to_string(proto)) + " " + addr.to_string();
}

bool ListenerPlan::closes_all() const {
    if (running.empty()) return false;
    for (const auto& r : running)
        if (r.step != Step::Close) return false;
    return true;
}

ListenerPlan plan_listeners(std::span<const ListenerKey> running,
                            const std::vector<InstanceConfig>& next) {
    using Step = ListenerPlan::Step;
    ListenerPlan plan;
    plan.running.resize(running.size());
    // Indexed by protocol and configured address, so a large file plans in
    // n log n.
    std::map<std::string, std::vector<size_t>> by_address;
    for (size_t i = 0; i < running.size(); ++i)
        if (running[i].origin == Origin::Config)
            by_address[describe(running[i].proto, running[i].configured)].push_back(i);
    auto find_free = [&](Proto proto, const SockAddr& addr,
                         auto&& acceptable) -> std::optional<size_t> {
        auto it = by_address.find(describe(proto, addr));
        if (it == by_address.end()) return std::nullopt;
        for (size_t i : it->second)
            if (plan.running[i].step == Step::Close && running[i].proto == proto &&
                running[i].configured == addr && acceptable(running[i]))
                return i;
        return std::nullopt;
    };
    std::vector<ListenerPlan::Open> unmatched;
    for (const auto& config : next) {
        bool from_systemd = false;
        for (size_t i = 0; i < running.size(); ++i)
            if (running[i].origin == Origin::Systemd && running[i].instance == config.name) {
                plan.running[i] = {Step::Keep, config.name};
                from_systemd = true;
            }
        if (from_systemd) continue;
        for (Proto proto : {Proto::Tcp, Proto::Udp}) {
            for (const auto& addr : proto == Proto::Tcp ? config.tcp : config.udp) {
                auto same = find_free(proto, addr, [&](const ListenerKey& key) {
                    return key.instance == config.name;
                });
                if (same)
                    plan.running[*same] = {Step::Keep, config.name};
                else
                    unmatched.push_back({&config, proto, addr});
            }
        }
    }
    for (const auto& want : unmatched) {
        auto free = find_free(want.proto, want.addr, [&](const ListenerKey& key) {
            return want.addr.port() != 0 || key.type == want.config->type;
        });
        if (free)
            plan.running[*free] = {Step::HandOver, want.config->name};
        else
            plan.open.push_back(want);
    }
    return plan;
}

std::vector<ListenerKey> ListenerSet::keys() const {
    std::vector<ListenerKey> keys;
    for (const auto& l : listeners_) keys.push_back(ListenerKey::of(*l));
    return keys;
}

size_t ListenerSet::count(Proto proto) const {
    size_t n = 0;
    for (const auto& l : listeners_) n += l->proto() == proto;
    return n;
}

void ListenerSet::adopt(std::unique_ptr<Listener> listener) {
    listeners_.push_back(std::move(listener));
    update_own_sockets();
}

void ListenerSet::update_own_sockets() {
    std::vector<SockAddr> bound;
    for (const auto& l : listeners_)
        if (l->proto() == Proto::Udp) bound.push_back(l->actual());
    own_udp_.assign(bound);
}

std::optional<std::string> ListenerSet::bind(const ListenerPlan& plan, const InstanceMap& instances,
                                             std::vector<std::unique_ptr<Listener>>& opened) {
    for (const auto& want : plan.open) {
        std::string error;
        Fd fd = bind_socket(want.proto, want.addr, want.config->backlog, &error);
        if (!fd) return "[" + want.config->name + "] " + error;
        opened.push_back(Listener::create(context_, instances.at(want.config->name), want.proto,
                                          want.addr, std::move(fd), Origin::Config));
    }
    return std::nullopt;
}

std::vector<std::string> ListenerSet::commit(const ListenerPlan& plan, const InstanceMap& instances,
                                             std::vector<std::unique_ptr<Listener>> opened,
                                             event_base* base, bool starting) {
    std::vector<std::string> changes;
    for (const auto& l : opened)
        changes.push_back("added " + ListenerKey::of(*l).to_string() + " (port " +
                          std::to_string(l->actual().port()) + ")");
    std::vector<std::unique_ptr<Listener>> next;
    std::vector<std::pair<Listener*, std::string>> handed;  // listener, its previous instance
    for (size_t i = 0; i < listeners_.size(); ++i) {
        std::unique_ptr<Listener>& l = listeners_[i];
        const ListenerPlan::Running& step = plan.running[i];
        if (step.step == ListenerPlan::Step::Close) {
            changes.push_back("removed " + ListenerKey::of(*l).to_string());
            continue;
        }
        if (step.step == ListenerPlan::Step::HandOver)
            handed.emplace_back(l.get(), l->instance().config.name);
        l->set_instance(instances.at(step.instance));
        next.push_back(std::move(l));
    }
    for (const auto& [l, previous] : handed) {
        changes.push_back("handed over " + describe(l->proto(), l->configured()) + " (port " +
                          std::to_string(l->actual().port()) + ") from [" + previous + "] to [" +
                          l->instance().config.name + "]");
        LOG_NOTICE("%s: listening on %s %s (handed over from [%s])",
                   l->instance().config.name.c_str(), to_string(l->proto()),
                   l->actual().to_string().c_str(), previous.c_str());
    }
    size_t first_new = starting ? 0 : next.size();
    for (auto& l : opened) next.push_back(std::move(l));
    listeners_ = std::move(next);  // closes the removed ones
    update_own_sockets();
    for (size_t i = first_new; i < listeners_.size(); ++i) {
        Listener& l = *listeners_[i];
        l.start(base);
        if (starting)
            LOG_NOTICE("%s: listening on %s %s (%s)", l.instance().config.name.c_str(),
                       to_string(l.proto()), l.actual().to_string().c_str(), to_string(l.origin()));
        else
            LOG_NOTICE("%s: listening on %s %s", l.instance().config.name.c_str(),
                       to_string(l.proto()), l.actual().to_string().c_str());
    }
    return changes;
}

void ListenerSet::close_all() {
    for (auto& l : listeners_) l->stop();
    listeners_.clear();
    update_own_sockets();
}

}  // namespace smalld
