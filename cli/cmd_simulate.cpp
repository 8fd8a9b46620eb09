// `thinkplan simulate`: placeholder until the command is written; refuses with a usage error.
#include "cli/command.h"
#include "core/errors.h"

namespace thinkplan::cli {

int RunSimulate(Invocation&) { throw UsageError("thinkplan simulate is not available in this build yet"); }

}  // namespace thinkplan::cli
