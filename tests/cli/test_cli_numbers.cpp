// Numbers on the command line as a user types them: every subcommand reads its numeric options with core's one
// parser, so "30k" is 30000 wherever amounts take suffixes, and "30,000", "2x" and "1.5" (for a count) are usage
// errors (exit code 1) whose message names the option and the text, never a number cxxopts read from a prefix.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/common/test_support.h"

using namespace thinkplan::testing;

namespace {

std::string Db(const ScratchDir& dir) { return "--db " + ShellQuote((dir / "t.db").string()); }

std::string Workload() { return ShellQuote((DataDir() / "workloads" / "default.json").string()); }

// Runs a command that must be refused as a usage error naming `option` and `text`.
void ExpectUsageError(const std::string& args, const std::string& option, const std::string& text) {
  const CommandResult r = RunThinkplan(args);
  BOOST_TEST(r.exit_code == 1, args << " exited " << r.exit_code << ": " << r.err);
  BOOST_TEST(r.err.find(option + " '" + text + "'") != std::string::npos, args << ": " << r.err);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_numbers)

BOOST_AUTO_TEST_CASE(plan_and_whatif_read_a_budget_of_30k_as_30000_dollars) {
  ScratchDir dir;
  BOOST_REQUIRE(RunThinkplan(Db(dir) + " demo --quiet --out " + ShellQuote((dir / "out").string())).exit_code == 0);
  // $30,000 a month is below the default workload's cheapest plan: planned with that budget, and found infeasible
  // (an input error, exit code 2), never read as $30.
  const CommandResult tight = RunThinkplan(Db(dir) + " plan " + Workload() + " --budget 30k --no-store --json");
  BOOST_TEST(tight.exit_code == 2, tight.err);
  BOOST_TEST(tight.err.find("more than the budget 30000") != std::string::npos, tight.err);
  const auto infeasible = nlohmann::json::parse(tight.out);
  BOOST_TEST(infeasible["budget_usd_per_month"].get<double>() == 30000.0);
  BOOST_TEST(!infeasible["feasible"].get<bool>());
  const CommandResult r = RunThinkplan(Db(dir) + " plan " + Workload() + " --budget 0.2M --no-store --json");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto plan = nlohmann::json::parse(r.out);
  BOOST_TEST(plan["budget_usd_per_month"].get<double>() == 200000.0);
  BOOST_TEST(plan["inference_usd_per_month"].get<double>() <= 200000.0 * (1 + 1e-9));
  // The demo stored plan 1; --set takes the same spelling.
  const CommandResult w = RunThinkplan(Db(dir) + " whatif --plan 1 --set budget=150k --no-store --json");
  BOOST_REQUIRE_MESSAGE(w.exit_code == 0, w.err);
  BOOST_TEST(nlohmann::json::parse(w.out)["whatif"]["budget_usd_per_month"].get<double>() == 150000.0);
  // An infeasible what-if is an input error too (exit 2), and its text output says why.
  const CommandResult none = RunThinkplan(Db(dir) + " whatif --plan 1 --set budget=30k --no-store");
  BOOST_TEST(none.exit_code == 2, none.err);
  BOOST_TEST(none.out.find("infeasible: ") != std::string::npos, none.out);
  BOOST_TEST(none.out.find("more than the budget 30000") != std::string::npos, none.out);
  const CommandResult bad = RunThinkplan(Db(dir) + " whatif --plan 1 --set budget=30,000");
  BOOST_TEST(bad.exit_code == 1);
  BOOST_TEST(bad.err.find("--set 'budget=30,000': value '30,000': thousands separators are not accepted; write 30000 "
                          "or 30k") != std::string::npos,
             bad.err);
}

BOOST_AUTO_TEST_CASE(cost_reads_token_counts_with_suffixes) {
  // o3-mini list prices 1.10 / 4.40 USD per million: 1k prompt + 8k thinking tokens = 0.0011 + 0.0352 USD.
  ScratchDir dir;
  const CommandResult r =
      RunThinkplan(CatalogueDb(dir / "t.db") + " cost --system o3-mini --thinking-tokens 8k --prompt-tokens 1k --json");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto cost = nlohmann::json::parse(r.out);
  BOOST_TEST(cost["thinking_tokens"].get<double>() == 8000.0);
  BOOST_TEST(cost["prompt_tokens"].get<double>() == 1000.0);
  BOOST_TEST(cost["total_usd"].get<double>() == 0.0363, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(a_budget_with_thousands_separators_is_a_usage_error_naming_the_option) {
  ScratchDir dir;
  const CommandResult r = RunThinkplan(Db(dir) + " plan " + Workload() + " --budget 30,000");
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("--budget '30,000': thousands separators are not accepted; write 30000 or 30k") !=
                 std::string::npos,
             r.err);
}

BOOST_AUTO_TEST_CASE(simulate_days_given_as_a_multiplier_is_a_usage_error_naming_the_option) {
  ScratchDir dir;
  const CommandResult r = RunThinkplan(Db(dir) + " simulate --plan 1 --days 2x");
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("--days '2x': a multiplier like 2x applies only to what-if changes") != std::string::npos,
             r.err);
}

BOOST_AUTO_TEST_CASE(every_numeric_option_refuses_what_cxxopts_read_from_a_prefix) {
  ScratchDir dir;
  const std::string db = Db(dir);
  const std::string plan = db + " plan " + Workload();
  const std::string simulate = db + " simulate --plan 1";
  const std::string catalogues = CatalogueDb(dir / "catalogues.db");
  const std::string api = catalogues + " cost --system o3-mini";
  const std::string model = catalogues + " cost --system Llama-3.1-8B --hardware H100-SXM-80GB --thinking-tokens 10";
  const std::string hosted = model + " --price-per-hour 4.25";
  struct Refused {
    std::string args, option, text;  // the command line; the option and the text its message must name
  };
  const std::vector<Refused> cases = {
      {plan + " --budget 1.5x", "--budget", "1.5x"},
      {plan + " --target 0.9y", "--target", "0.9y"},
      {simulate + " --seed 1.5", "--seed", "1.5"},
      {simulate + " --threads 2x", "--threads", "2x"},
      {simulate + " --days 2k", "--days", "2k"},
      {db + " simulate --plan 1x", "--plan", "1x"},
      {simulate + " --max-queries 1,000", "--max-queries", "1,000"},
      {simulate + " --max-samples nan", "--max-samples", "nan"},
      {simulate + " --devices big=2.5", "--devices big", "2.5"},
      {simulate + " --devices big=1,000", "--devices big", "1,000"},
      {api + " --thinking-tokens 8000tokens", "--thinking-tokens", "8000tokens"},
      {api + " --thinking-tokens 10 --prompt-tokens=-1", "--prompt-tokens", "-1"},
      {hosted + " --devices 1.5", "--devices", "1.5"},
      {hosted + " --batch 8q", "--batch", "8q"},
      {hosted + " --utilisation inf", "--utilisation", "inf"},
      {model + " --price-per-hour 4,25", "--price-per-hour", "4,25"},
      {db + " whatif --plan 1e400 --set budget=2x", "--plan", "1e400"},
      {db + " export-policy --plan 0", "--plan", "0"},
      {db + " report --plan 1 --simulation 1.5 --out r.md", "--simulation", "1.5"},
      {db + " runs --limit 10k", "--limit", "10k"},
      {db + " exchange --target-loss 1.8x", "--target-loss", "1.8x"},
  };
  for (const Refused& c : cases) ExpectUsageError(c.args, c.option, c.text);
}

BOOST_AUTO_TEST_CASE(repeatable_options_keep_commas_inside_their_values) {
  // cxxopts split repeatable options at commas: a file name with one became two names.
  ScratchDir dir;
  const CommandResult r = RunThinkplan(Db(dir) + " ingest " + ShellQuote((dir / "a,b.csv").string()));
  BOOST_TEST(r.exit_code != 0);
  BOOST_TEST(r.err.find("a,b.csv") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_SUITE_END()
