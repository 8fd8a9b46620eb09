// `thinkplan exchange`: what training compute is worth in thinking compute (docs/design.md 3.4): the exchange rates
// of the stored training fits, Snell et al.'s FLOPs-matched multipliers and the Sardana-Frankle optimum.
#include <ostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "core/errors.h"
#include "pipeline/exchange_stage.h"
#include "pipeline/plan_stage.h"
#include "planner/exchange.h"

namespace thinkplan::cli {
namespace {

constexpr const char* kDescription =
    "Training compute against test-time (thinking) compute, from the stored training fits (`thinkplan fit\n"
    "--kind training`) and published scaling laws. Three tables:\n\n"
    "1. Exchange rates. Per model family, task class and difficulty the fitted surface\n"
    "     logit accuracy = t0 + t1 ln C_train + t2 ln x,   C_train = 6 N D (parameters x pre-training tokens),\n"
    "   x = samples per query or thinking tokens (the 'axis' column). Along a line of equal accuracy\n"
    "   t1 dln C = -t2 dln x, so 10x training compute is worth X = 10^(t1/t2) times more x. The interval is the\n"
    "   delta method on t1/t2 from the fit's covariance. 'status' is the fit's (ok, fallback, insufficient-data,\n"
    "   not-converged); no rate is given unless the fit is usable and t2 > 0.\n\n"
    "2. FLOPs-matched multiplier (Snell et al. 2024). A model M times larger costs M (X + Y) FLOPs,\n"
    "   X = 6 N D_pretrain, Y = 2 N D_inference. Spending the same FLOPs on the small model gives it\n"
    "     M + 3 (D_pretrain / D_inference) (M - 1)\n"
    "   times its own inference compute, tabulated for M and R = D_inference / D_pretrain. Small R (few queries\n"
    "   for the pre-training) leaves a lot of compute for thinking; large R leaves little more than M.\n"
    "   Under it, per fitted surface: the factor needed to match the M-times-larger model, M^(t1/t2), and\n"
    "   'think' where the multiplier covers it, else 'size'. Snell et al. found thinking winning on easy and\n"
    "   medium questions and size on the hardest; the fits say where each family stands.\n\n"
    "3. Inference-aware optimum (Sardana & Frankle 2023). With the Chinchilla loss L(N, D) = E + A/N^alpha +\n"
    "   B/D^beta (constants in data/published/training_scaling.csv), the model that reaches a target loss with\n"
    "   the fewest training + inference FLOPs, 6 N D_train + 2 N D_inference, for each lifetime demand\n"
    "   D_inference (tokens served). 0 is the Chinchilla compute-optimal model; as demand grows the optimum\n"
    "   gets smaller and is trained on more tokens (D/N rises). The target is each law's loss of the\n"
    "   Chinchilla model (70B on 1.4T tokens) unless --target-loss is given.\n\n"
    "Examples:\n"
    "  thinkplan exchange\n"
    "  thinkplan exchange --class code --json\n";

}  // namespace

int RunExchange(Invocation& invocation) {
  cxxopts::Options options("thinkplan exchange", kDescription);
  AddGlobalOptions(options);
  options.add_options()
      ("class", "only the training surfaces of this stored task class (e.g. code)", cxxopts::value<std::string>())
      ("target-loss", "loss the Sardana-Frankle rows must reach (default: the Chinchilla model's under each law)",
       cxxopts::value<std::string>());
  Parsed parsed = ParseCommandLine(options, invocation);
  if (parsed.help_shown) return 0;
  const auto& args = parsed.result;

  planner::ExchangeOptions exchange;
  if (args.count("class")) exchange.task_class = args["class"].as<std::string>();
  if (args.count("target-loss")) exchange.target_loss = NumberArg(args, "target-loss", number_rules::kNonNegative);
  std::string error;
  if (!exchange.IsValid(&error)) throw UsageError("exchange: " + error);

  store::Database db = pipeline::OpenExistingDatabase(parsed.global.db_path);
  const planner::ExchangeSummary summary = pipeline::ExchangeStage(db, DefaultDataDir(), exchange);
  if (exchange.task_class && summary.rates.empty()) {
    throw UsageError(fmt::format("no training fit for class '{}' (see `thinkplan fit --kind training`)", *exchange.task_class));
  }
  if (parsed.global.json) {
    invocation.out << summary.ToJson().dump(2) << "\n";
  } else {
    invocation.out << summary.FullReport();
  }
  return 0;
}

}  // namespace thinkplan::cli
