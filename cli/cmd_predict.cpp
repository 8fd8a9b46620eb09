// `thinkplan predict`: read the stored curves of one system and task class at a budget or token count, k samples
// and an aggregation (pipeline::PredictStage), and print what to expect.
#include <filesystem>
#include <ostream>

#include <fmt/format.h>

#include "cli/command.h"
#include "core/errors.h"
#include "core/number_parse.h"
#include "pipeline/predict_stage.h"
#include "store/database.h"

namespace thinkplan::cli {
namespace {

constexpr const char* kDescription =
    "Read a stored curve at any setting: a thinking budget or token count, k samples and an aggregation.\n"
    "It prints, for one (system, task class[, difficulty]) that `thinkplan fit` has fitted:\n"
    "  thinking tokens    per sample: --tokens as given; else, for a system whose budget is a target\n"
    "                     (Anthropic, Google) with a budget-target fit, --budget x the share used, which may\n"
    "                     exceed 1; else the token model's mean under --budget (E[min(L, budget)],\n"
    "                     L ~ LogNormal), else the budget itself (said so in the notes)\n"
    "  expected accuracy  the sequential curve at those tokens (or at the budget, for a curve fitted on the\n"
    "                     budget axis); for k > 1 samples, pass@k, majority vote (cons@k: rho from a cons@k\n"
    "                     run, else a stated prior 0.22 [0, 0.76], marked assumed) or best-of-k (best@k,\n"
    "                     verifier separation --d-prime) over the fitted difficulty distribution moved to\n"
    "                     that mean, as `plan` scores options: the family `fit` chose per slice by held-out\n"
    "                     likelihood (Beta, or logit-normal; printed as `difficulty family`)\n"
    "  band of the mean   from the fits' covariances (delta method on the logit scale)\n"
    "  predictive band    with --problems N: where the accuracy measured on N problems would fall, binomial\n"
    "                     noise on top of the mean's uncertainty\n"
    "  tokens and cost    per query: k x (prompt + thinking + answer) tokens at the system's list prices\n"
    "Without --budget and --tokens the difficulty fit is read at the setting it was measured at.\n"
    "Fits that are not usable (insufficient data, not converged, unidentified) are never read: the message\n"
    "names them with their reason. Formulas: docs/formulas.md section 7.\n\n"
    "Examples:\n"
    "  thinkplan predict --system o3-mini --class math-competition --tokens 16k\n"
    "  thinkplan predict --system o3-mini --class math-competition --tokens 8k --problems 30 --json\n"
    "  thinkplan predict --system GPT-4O-2024-05-13 --class code --difficulty medium --aggregation pass@10\n"
    "  thinkplan predict --system o1 --class math-competition --aggregation cons@16 --problems 30\n";

pipeline::PredictOptions ReadOptions(const cxxopts::ParseResult& args) {
  pipeline::PredictOptions o;
  if (!args.count("system") || !args.count("class")) throw UsageError("predict: --system and --class are required");
  o.key = {args["system"].as<std::string>(), args["class"].as<std::string>(),
           args.count("difficulty") ? args["difficulty"].as<std::string>() : ""};
  if (args.count("budget")) o.budget_tokens = NumberArg(args, "budget", {.suffixes = true, .min = 1});
  if (args.count("tokens")) o.thinking_tokens = NumberArg(args, "tokens", number_rules::kAmount);
  const std::string aggregation = args["aggregation"].as<std::string>();
  const std::optional<Aggregation> parsed = Aggregation::Parse(aggregation);
  if (!parsed) throw UsageError("--aggregation '" + aggregation + "' is not one of pass@K, cons@K, best@K (K >= 1)");
  o.aggregation = *parsed;
  if (args.count("d-prime")) o.d_prime = NumberArg(args, "d-prime", {.min = 1e-9});
  if (args.count("problems")) o.problems = IntegerArg(args, "problems", number_rules::kCount);
  if (args.count("level")) o.level = NumberArg(args, "level", {.min = 1e-6, .max = 1 - 1e-6});
  if (args.count("prompt-tokens")) o.prompt_tokens = NumberArg(args, "prompt-tokens", number_rules::kAmount);
  if (args.count("answer-tokens")) o.answer_tokens = NumberArg(args, "answer-tokens", number_rules::kAmount);
  return o;
}

}  // namespace

int RunPredict(Invocation& invocation) {
  cxxopts::Options options("thinkplan predict", kDescription);
  AddGlobalOptions(options);
  options.add_options()
      ("system", "the system whose curves to read (as stored: `thinkplan fit` lists them)", cxxopts::value<std::string>())
      ("class", "task class", cxxopts::value<std::string>())
      ("difficulty", "difficulty bucket (default: the whole class; a bucket without fits reads the class)",
       cxxopts::value<std::string>())
      ("budget", "thinking budget in tokens (e.g. 32k)", cxxopts::value<std::string>())
      ("tokens", "thinking tokens actually used per sample (overrides the token model)", cxxopts::value<std::string>())
      ("aggregation", "pass@K, cons@K (majority vote) or best@K (verifier) over K samples",
       cxxopts::value<std::string>()->default_value("pass@1"))
      ("d-prime", "verifier separation for best@K (default: a perfect verifier)", cxxopts::value<std::string>())
      ("problems", "problems in the benchmark, for the predictive band (default: none)", cxxopts::value<std::string>())
      ("level", "level of the bands (default 0.95)", cxxopts::value<std::string>())
      ("prompt-tokens", "prompt tokens per sample, for tokens and cost (default 1000)", cxxopts::value<std::string>())
      ("answer-tokens", "answer tokens per sample, for tokens and cost (default 500)", cxxopts::value<std::string>());
  Parsed parsed = ParseCommandLine(options, invocation);
  if (parsed.help_shown) return 0;
  const pipeline::PredictOptions predict_options = ReadOptions(parsed.result);
  std::string error;
  if (!predict_options.IsValid(&error)) throw UsageError("predict: " + error);
  if (!std::filesystem::exists(parsed.global.db_path)) {
    throw InputError("database " + parsed.global.db_path.string() +
                     " does not exist (create it with `thinkplan demo`, or `thinkplan ingest` and `thinkplan fit`)");
  }
  store::Database db = store::Database::Open(parsed.global.db_path);
  const pipeline::Prediction prediction = pipeline::PredictStage(db, predict_options);
  if (parsed.global.json) {
    invocation.out << prediction.ToJson().dump(2) << "\n";
  } else {
    invocation.out << prediction.FullReport();
  }
  return 0;
}

}  // namespace thinkplan::cli
