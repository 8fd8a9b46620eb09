// `thinkplan simulate` with the fleet run supplied by the caller: the MPI executable (mpi/main.cpp) parses the
// same options and prints the same output, with each run sharded over the job's ranks.
#pragma once

#include "cli/command.h"
#include "pipeline/simulate_stage.h"

namespace thinkplan::cli {

int RunSimulate(Invocation& invocation);
int RunSimulate(Invocation& invocation, const pipeline::SimulateHooks& hooks);

}  // namespace thinkplan::cli
