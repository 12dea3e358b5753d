// SPDX-License-Identifier: BSD-2-Clause
#pragma once
// Renders a Result for people (default) or scripts (--json).

#include <cstdio>
#include <string>

#include "options.h"
#include "result.h"

namespace smallprobe {

// smallprobe's exit statuses, the modes' and stamp's alike.
enum ExitStatus : int {
    kExitOk = 0,
    kExitErrors = 1,       // errors seen, or loss above --max-loss
    kExitUsage = 2,        // the command line
    kExitUnreachable = 3,  // could not connect at all
};

// kExitOk, kExitErrors or kExitUnreachable for a run's result.
int exit_status(const Options& options, const Result& result);

// A command line that cannot run: "`command`: `error`" and the one-line
// `usage` on stderr. Returns kExitUsage.
int usage_error(const char* command, const std::string& error, const char* usage);

void print_summary(FILE* out, const Options& options, const Result& result);
void print_json(FILE* out, const Options& options, const Result& result);

}  // namespace smallprobe
