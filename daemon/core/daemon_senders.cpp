// SPDX-License-Identifier: BSD-2-Clause
// The daemon's stamp-senders (daemon/net/stamp_sender.h): one per enabled
// stamp-sender instance, kept across reloads by the instance's name so
// that its unchanged peers keep their sessions and histories.
#include "daemon.h"
#include "stamp_sender.h"

namespace smalld {

void Daemon::update_senders(std::vector<std::string>* changes) {
    std::map<std::string, std::unique_ptr<StampSender>> next;
    for (const auto& config : config_.instances) {
        if (config.type != ServiceType::StampSender) continue;
        auto it = senders_.find(config.name);
        std::unique_ptr<StampSender> sender;
        if (it != senders_.end()) {
            sender = std::move(it->second);
        } else {
            auto instance = instances_.find(config.name);
            if (instance == instances_.end() || !instance->second) continue;
            sender = std::make_unique<StampSender>(base_.get(), instance->second->stats);
        }
        std::vector<std::string> lines = sender->configure(config);
        if (changes) changes->insert(changes->end(), lines.begin(), lines.end());
        next[config.name] = std::move(sender);
    }
    senders_ = std::move(next);  // the senders of removed instances end here
}

}  // namespace smalld
