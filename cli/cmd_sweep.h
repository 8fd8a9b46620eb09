// `thinkplan sweep` with the items run by the caller: the MPI executable (mpi/main.cpp) parses the same options and
// prints the same output, with the (scenario, draw) items dealt over the job's ranks.
#pragma once

#include "cli/command.h"
#include "pipeline/sweep_stage.h"

namespace thinkplan::cli {

int RunSweep(Invocation& invocation);
int RunSweep(Invocation& invocation, const pipeline::SweepHooks& hooks);

}  // namespace thinkplan::cli
