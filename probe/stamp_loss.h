// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// smallprobe's probes to the STAMP core's loss split (stamp/loss_split.h,
// shared with the daemon's stamp-sender, where the split is explained).

#include <vector>

#include "loss_split.h"
#include "stamp.h"

namespace smallprobe {

using smalld::stamp::LossSplit;

// `probes` in our sending order, then `closing` in theirs.
LossSplit split_loss(const std::vector<Probe>& probes, const std::vector<Probe>& closing = {});

}  // namespace smallprobe
