// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Renders a Result for people (default) or scripts (--json).

#include <cstdio>

#include "options.h"
#include "result.h"

namespace smallprobe {

// 0 ok, 1 errors seen, 3 could not connect at all (2, usage, is main's).
int exit_status(const Options& options, const Result& result);

void print_summary(FILE* out, const Options& options, const Result& result);
void print_json(FILE* out, const Options& options, const Result& result);

}  // namespace smallprobe
