// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Every service type, one row each: its enumerator in ServiceType and its name
// in the configuration (type = NAME, [NAME]). The order is the catalogue's
// (service_registry.cpp): `smalld -T`, the docs and the type error list follow
// it. A new type is one row here and one service_NAME.cpp that defines its
// ServiceSpec kTypeSpec (service_registry.h); docs/ARCHITECTURE.md has the
// steps.
// clang-format would write stamp-sender as stamp - sender:
// clang-format off
#define SMALLD_SERVICE_TYPES(X) \
    X(Echo, echo)               \
    X(Discard, discard)         \
    X(Chargen, chargen)         \
    X(Qotd, qotd)               \
    X(Daytime, daytime)         \
    X(Time, time)               \
    X(Status, status)           \
    X(Stamp, stamp)             \
    X(StampSender, stamp-sender)
// clang-format on
