// `thinkplan report`: placeholder until the command is written; refuses with a usage error.
#include "cli/command.h"
#include "core/errors.h"

namespace thinkplan::cli {

int RunReport(Invocation&) { throw UsageError("thinkplan report is not available in this build yet"); }

}  // namespace thinkplan::cli
