// SPDX-License-Identifier: BSD-2-Clause
#include "stamp_loss.h"

namespace smallprobe {

LossSplit split_loss(const std::vector<Probe>& probes, const std::vector<Probe>& closing) {
    smalld::stamp::LossSplitter splitter;
    auto add = [&](const Probe& p, bool is_closing) {
        splitter.add(
            {p.received, p.counted, is_closing, p.reflector_rx, p.reflector_tx, p.reflector_seq});
    };
    for (const Probe& p : probes) add(p, false);
    for (const Probe& p : closing) add(p, true);
    splitter.flush();  // after the last count
    return splitter.split();
}

}  // namespace smallprobe
