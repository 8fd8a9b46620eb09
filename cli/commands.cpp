// The table of subcommands. Each handler lives in its own cmd_<name>.cpp.
#include "cli/command.h"

namespace thinkplan::cli {

int RunDemo(Invocation& invocation);
int RunIngest(Invocation& invocation);
int RunRuns(Invocation& invocation);
int RunFit(Invocation& invocation);
int RunPredict(Invocation& invocation);
int RunMeasure(Invocation& invocation);
int RunCost(Invocation& invocation);
int RunPlan(Invocation& invocation);
int RunExportPolicy(Invocation& invocation);
int RunWhatIf(Invocation& invocation);
int RunExchange(Invocation& invocation);
int RunSimulate(Invocation& invocation);
int RunReport(Invocation& invocation);
int RunPlans(Invocation& invocation);
int RunSystems(Invocation& invocation);
int RunHardware(Invocation& invocation);
int RunModels(Invocation& invocation);
int RunClasses(Invocation& invocation);
int RunSweep(Invocation& invocation);

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"demo", "the whole pipeline on the shipped data, into a fresh database", RunDemo},
      {"ingest", "store runs, per-problem results, perf runs and catalogues (CSV or JSONL)", RunIngest},
      {"runs", "list and filter the stored runs", RunRuns},
      {"systems", "list the stored systems with the list prices in force and their dates", RunSystems},
      {"hardware", "list the stored accelerators: memory, bandwidth, peaks per precision, price", RunHardware},
      {"models", "list the stored model shapes with their weight and KV precisions", RunModels},
      {"classes", "list the stored task classes and how many runs each has", RunClasses},
      {"fit", "fit scaling curves (sequential, tokens, parallel, training) with intervals; store them", RunFit},
      {"predict", "read a stored curve at a budget or token count, k samples and an aggregation: accuracy with "
                  "its bands, tokens and cost per query", RunPredict},
      {"measure", "GPU measurement harness: ceilings, then decode/prefill step times (needs CUDA; --device cpu)",
       RunMeasure},
      {"cost", "what a thinking query costs: API list prices or self-hosted GPUs (KV cache, batch, $/token)", RunCost},
      {"plan", "allocate traffic to serving options under a budget; capacity and frontier; store the plan", RunPlan},
      {"export-policy", "a stored plan as a serving policy with each API's request body, or a LiteLLM / Semantic Router config", RunExportPolicy},
      {"whatif", "re-plan a stored plan under changed budget, volume, prices, SLOs or verifier; print the differences", RunWhatIf},
      {"exchange", "training vs thinking: exchange rates, Snell's FLOPs-matched table, Sardana-Frankle optimum", RunExchange},
      {"plans", "list the stored plans and their simulations", RunPlans},
      {"simulate", "run the fleet simulation of a stored plan, day by day; compare with the plan; store the result", RunSimulate},
      {"sweep", "what-if grid x posterior draws of the fits, each planned and simulated: the probability that a "
                "plan meets its SLOs and budget; --list shows the stored sweeps", RunSweep},
      {"report", "capacity-planning report of a stored plan: HTML with charts (offline, one file) or Markdown", RunReport},
  };
  return kCommands;
}

}  // namespace thinkplan::cli
