// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// An instance as it runs: its configuration, its service, and what outlives
// reloads, kept per name: its statistics, and its state (what admission
// knows, and the service's own).
// Listeners and sessions share it; a reload builds a new Instance, and
// sessions opened before it keep the old one until they close.

#include <memory>

#include "admission.h"
#include "config.h"
#include "service.h"
#include "stats.h"

namespace smalld {

struct InstanceState {
    AdmissionState admission;               // never reset with the counters
    std::unique_ptr<ServiceState> service;  // kept by the service type across reloads
};

struct Instance {
    InstanceConfig config;
    std::unique_ptr<Service> service;
    // Shared by every generation of the instance with the same name; the
    // daemon forgets them once no Instance holds them.
    std::shared_ptr<InstanceStats> stats;
    std::shared_ptr<InstanceState> state;
};

}  // namespace smalld
