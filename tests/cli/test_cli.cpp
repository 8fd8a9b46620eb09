// End-to-end tests of the `thinkplan` executable as a user runs it: help, errors and exit codes, the demo on
// the shipped data, listing runs, and ingest failures that leave the store untouched.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "tests/common/test_support.h"

using namespace thinkplan::testing;

namespace {

// The database and the demo's output folder inside the test's scratch directory.
std::string Db(const ScratchDir& dir) { return "--db " + ShellQuote((dir / "t.db").string()); }
std::string Demo(const ScratchDir& dir) { return Db(dir) + " demo --out " + ShellQuote((dir / "out").string()); }

}  // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(help_lists_every_command_and_exits_zero) {
  const CommandResult r = RunThinkplan("--help");
  BOOST_TEST(r.exit_code == 0);
  for (const char* command : {"demo", "ingest", "runs", "fit", "plan", "whatif", "export-policy", "cost", "measure"}) {
    BOOST_TEST(r.out.find(std::string("  ") + command) != std::string::npos, command);
  }
  BOOST_TEST(RunThinkplan("--version").out.find("thinkplan ") == 0u);
  const CommandResult sub = RunThinkplan("ingest --help");
  BOOST_TEST(sub.exit_code == 0);
  BOOST_TEST(sub.out.find("--skip-invalid") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unknown_command_suggests_the_closest) {
  const CommandResult r = RunThinkplan("ingets x.csv");
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("did you mean 'ingest'?") != std::string::npos, r.err);
  BOOST_TEST(RunThinkplan("").exit_code == 1);
}

BOOST_AUTO_TEST_CASE(bad_options_are_usage_errors) {
  ScratchDir dir;
  const CommandResult r = RunThinkplan(Db(dir) + " runs --frobnicate");
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("frobnicate") != std::string::npos, r.err);
  BOOST_TEST(RunThinkplan(Db(dir) + " ingest").exit_code == 1);
  BOOST_TEST(RunThinkplan(Db(dir) + " runs --source guessed").exit_code == 1);
}

BOOST_AUTO_TEST_CASE(demo_ingests_every_shipped_data_set) {
  ScratchDir dir;
  const CommandResult r = RunThinkplan(Demo(dir) + " --json");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto out = nlohmann::json::parse(r.out);
  // Counts from data/README.md: 59 + 135 + 57 + 2 + 16 + 40 runs, then the effort and budget sets (epoch_effort 101,
  // simple_evals_effort 71, arc_agi_v1_effort 6, deepscaler_cap_sweep 7, lrm_token_economy 30); 18,000 + 16,720 +
  // 2,638 + 240 problem results, then 2,400 + 210 + 190; 4,772 perf runs.
  BOOST_TEST(out["counts"]["runs"].get<int>() == 59 + 135 + 57 + 2 + 16 + 40 + 101 + 71 + 6 + 7 + 30);
  BOOST_TEST(out["counts"]["problem_results"].get<int>() == 18000 + 16720 + 2638 + 240 + 2400 + 210 + 190);
  BOOST_TEST(out["counts"]["perf_runs"].get<int>() == 4772);
  BOOST_TEST(out["counts"]["systems"].get<int>() >= 20);
  // It fits, plans the default workload and writes the plan's serving policy.
  BOOST_TEST(out["fits"]["parallel"]["usable"].get<int>() >= 100);
  BOOST_TEST(out["plan"]["id"].get<int>() == 1);
  const double accuracy = out["plan"]["accuracy"];
  BOOST_TEST(out["plan"]["accuracy_ci95"][0].get<double>() <= accuracy);
  BOOST_TEST(accuracy <= out["plan"]["accuracy_ci95"][1].get<double>());
  const auto policy = nlohmann::json::parse(ReadFile(dir / "out" / "policy.json"));
  BOOST_TEST(policy["plan_id"].get<int>() == 1);
  BOOST_TEST(!policy["routes"].empty());
  // It simulates the plan and writes the report in both forms, naming the plan and the simulation.
  BOOST_TEST(out["simulation"]["id"].get<int>() == 1);
  const std::string html = ReadFile(dir / "out" / "report.html");
  const std::string markdown = ReadFile(dir / "out" / "report.md");
  BOOST_TEST(html.find("<!DOCTYPE html>") == 0u);
  BOOST_TEST(html.find("vegaEmbed") != std::string::npos);
  BOOST_TEST(markdown.find("plan 1") != std::string::npos);
  BOOST_TEST(markdown.find("simulation 1") != std::string::npos);
  // Running it again changes nothing: every row is identical to what is stored.
  const CommandResult again = RunThinkplan(Demo(dir) + " --json");
  BOOST_REQUIRE_MESSAGE(again.exit_code == 0, again.err);
  const auto rerun = nlohmann::json::parse(again.out);  // a named value: a range over a temporary's member dangles
  for (const auto& file : rerun["ingested"]) {
    BOOST_TEST(file["inserted"].get<int>() == 0, file["file"]);
  }
}

BOOST_AUTO_TEST_CASE(runs_filters_and_reports_intervals) {
  ScratchDir dir;
  BOOST_REQUIRE(RunThinkplan(Demo(dir) + " --quiet").exit_code == 0);
  const CommandResult r = RunThinkplan(Db(dir) + " runs --system o3-mini --class math-competition --json");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto runs = nlohmann::json::parse(r.out);
  BOOST_TEST(runs.size() >= 4u);
  for (const auto& run : runs) {
    BOOST_TEST(run["system"] == "o3-mini");
    const double accuracy = run["accuracy"], lower = run["accuracy_ci95"][0], upper = run["accuracy_ci95"][1];
    BOOST_TEST(lower <= accuracy);
    BOOST_TEST(accuracy <= upper);
  }
  const CommandResult table = RunThinkplan(Db(dir) + " runs --class code --difficulty hard --limit 3");
  BOOST_TEST(table.exit_code == 0);
  BOOST_TEST(table.out.find("95% CI") != std::string::npos);
  BOOST_TEST(table.err.find("3 of ") != std::string::npos, table.err);
}

BOOST_AUTO_TEST_CASE(failed_ingest_names_the_place_and_keeps_the_store) {
  ScratchDir dir;
  BOOST_REQUIRE(RunThinkplan(Db(dir) + " --quiet ingest " + ShellQuote((DataDir() / "published/runs.csv").string())).exit_code == 0);
  const std::string before = ReadFile(dir / "t.db");
  WriteFile(dir / "bad.csv",
            "run_key,source,system,task_class,mode,samples,aggregation,n_problems,n_correct\n"
            "k1,measured,m,math,fast,1,pass@1,30,12\n"
            "k2,measured,m,math,fast,1,pass@1,30,31\n");
  const CommandResult r = RunThinkplan(Db(dir) + " ingest " + ShellQuote((dir / "bad.csv").string()));
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("bad.csv:3") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("n_correct") != std::string::npos, r.err);
  BOOST_TEST(ReadFile(dir / "t.db") == before);
  BOOST_TEST(RunThinkplan(Db(dir) + " ingest " + ShellQuote((dir / "missing.csv").string())).exit_code == 2);
}

BOOST_AUTO_TEST_CASE(fit_stores_curves_and_does_not_refit_unchanged_input) {
  ScratchDir dir;
  BOOST_REQUIRE(RunThinkplan(Demo(dir) + " --quiet").exit_code == 0);  // ingests and fits
  const CommandResult first = RunThinkplan(Db(dir) + " fit --refit --json");
  BOOST_REQUIRE_MESSAGE(first.exit_code == 0, first.err);
  const auto fits = nlohmann::json::parse(first.out);
  int usable_parallel = 0, training = 0;
  bool o3_mini_sequential = false;
  for (const auto& fit : fits) {
    BOOST_TEST(fit["refitted"].get<bool>());
    const std::string status = fit["status"];
    BOOST_TEST((status == "ok" || status == "fallback" || status == "insufficient data" || status == "not converged" ||
                status == "unidentified"));
    if (status != "ok") BOOST_TEST(!fit["reason"].get<std::string>().empty());
    for (const auto& p : fit["params"]) BOOST_TEST(p.is_number(), fit["label"]);  // never NaN (JSON null)
    usable_parallel += fit["kind"] == "parallel" && status == "ok";
    training += fit["kind"] == "training" && status == "ok";
    if (fit["kind"] == "sequential" && fit["system"] == "o3-mini" && fit["task_class"] == "math-competition" &&
        fit["difficulty"] == "") {
      o3_mini_sequential = true;
      BOOST_TEST(fit["axis"] == "tokens used");
      // low, medium and high effort on MathArena's token counts, and OpenAI's four AIME 2024 effort runs and Epoch
      // AI's two OTIS Mock AIME effort runs (medium, high) placed at those counts (each placement a note); the two
      // reports of AIME 2024 at effort high are one point, repeated samples of the same 30 problems
      BOOST_TEST(fit["n"].get<int>() == 8);
      BOOST_TEST(fit["notes"].dump().find("effort 'low' placed at 2308 thinking tokens") != std::string::npos);
    }
  }
  BOOST_TEST(usable_parallel >= 100);  // LiveCodeBench: a Beta per model and difficulty
  BOOST_TEST(training >= 5);           // DeepSeek-Coder, CodeLlama, StarCoder2 families
  BOOST_TEST(o3_mini_sequential);
  BOOST_TEST(first.err.find("rank deficient") == std::string::npos, first.err);  // solver logs stay in the notes
  // Curves the data cannot support are counted by cause, and listed one by one with --verbose.
  const CommandResult listed = RunThinkplan(Db(dir) + " fit --kind rho");
  BOOST_REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
  BOOST_TEST(listed.out.find("no cons@k run") != std::string::npos, listed.out);
  const CommandResult verbose = RunThinkplan(Db(dir) + " fit --kind sequential --verbose");
  BOOST_TEST(verbose.out.find("majority vote") == std::string::npos, verbose.out);  // only the kind asked for
  BOOST_TEST(verbose.out.find("skipped (") != std::string::npos, verbose.out);
  // Unchanged input: nothing is refitted.
  const CommandResult again = RunThinkplan(Db(dir) + " fit --class code --kind parallel");
  BOOST_REQUIRE_MESSAGE(again.exit_code == 0, again.err);
  BOOST_TEST(again.err.find(" 0 fitted now") != std::string::npos, again.err);
  BOOST_TEST(again.out.find("95% intervals") != std::string::npos);
  BOOST_TEST(RunThinkplan(Db(dir) + " fit --kind wiggly").exit_code == 1);
}

BOOST_AUTO_TEST_CASE(plan_whatif_and_policy_export_from_the_command_line) {
  ScratchDir dir;
  BOOST_REQUIRE(RunThinkplan(Demo(dir) + " --quiet").exit_code == 0);  // stores plan 1
  const std::string workload = ShellQuote((DataDir() / "workloads" / "default.json").string());
  const CommandResult plan = RunThinkplan(Db(dir) + " plan " + workload + " --json");
  BOOST_REQUIRE_MESSAGE(plan.exit_code == 0, plan.err);
  const auto planned = nlohmann::json::parse(plan.out);
  BOOST_TEST(planned["feasible"].get<bool>());
  const double budget = planned["budget_usd_per_month"];
  BOOST_TEST(planned["inference_usd_per_month"].get<double>() <= budget * (1 + 1e-9));
  // Doubling the budget cannot lower the best reachable accuracy.
  const CommandResult whatif = RunThinkplan(Db(dir) + " whatif --plan 1 --set budget=2x --json");
  BOOST_REQUIRE_MESSAGE(whatif.exit_code == 0, whatif.err);
  const auto diff = nlohmann::json::parse(whatif.out);
  BOOST_TEST(diff["whatif"]["accuracy"].get<double>() >= diff["base"]["accuracy"].get<double>() - 1e-12);
  const CommandResult bad = RunThinkplan(Db(dir) + " whatif --plan 1 --set budgett=2x");
  BOOST_TEST(bad.exit_code == 1);
  BOOST_TEST(bad.err.find("unknown key 'budgett'") != std::string::npos, bad.err);
  const CommandResult yaml = RunThinkplan(Db(dir) + " export-policy --plan 1 --format yaml --openai-api chat");
  BOOST_REQUIRE_MESSAGE(yaml.exit_code == 0, yaml.err);
  BOOST_TEST(yaml.out.find("\"endpoint\": \"POST /v1/chat/completions\"") != std::string::npos);
  // The default plan uses OpenAI systems too: Anthropic cannot serve it, and says which system it cannot serve.
  const CommandResult wrong = RunThinkplan(Db(dir) + " export-policy --plan 1 --target anthropic");
  BOOST_TEST(wrong.exit_code == 2);
  BOOST_TEST(wrong.err.find("--target anthropic cannot serve system '") != std::string::npos, wrong.err);
  const CommandResult litellm = RunThinkplan(Db(dir) + " export-policy --plan 1 --format litellm");
  BOOST_REQUIRE_MESSAGE(litellm.exit_code == 0, litellm.err);
  BOOST_TEST(litellm.out.find("\"model_list\":") == 0u);
  BOOST_TEST(RunThinkplan(Db(dir) + " export-policy --plan 1 --format xml").exit_code == 1);
  BOOST_TEST(RunThinkplan(Db(dir) + " export-policy --plan 1 --openai-api completions").exit_code == 1);
  BOOST_TEST(RunThinkplan(Db(dir) + " export-policy --plan 99").exit_code == 2);
}

BOOST_AUTO_TEST_CASE(plans_lists_stored_plans_newest_first_with_their_base) {
  ScratchDir dir;
  BOOST_REQUIRE(RunThinkplan(Demo(dir) + " --quiet").exit_code == 0);  // stores plan 1
  const CommandResult whatif = RunThinkplan(Db(dir) + " whatif --plan 1 --set budget=2x --json");
  BOOST_REQUIRE_MESSAGE(whatif.exit_code == 0, whatif.err);
  const double whatif_accuracy = nlohmann::json::parse(whatif.out)["whatif"]["accuracy"];
  const CommandResult listed = RunThinkplan(Db(dir) + " plans --json");
  BOOST_REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
  const auto plans = nlohmann::json::parse(listed.out);
  BOOST_REQUIRE_EQUAL(plans.size(), 2u);
  BOOST_TEST(plans[0]["id"].get<long>() == 2);
  BOOST_TEST(plans[0]["base_plan_id"].get<long>() == 1);
  BOOST_TEST(plans[1]["base_plan_id"].is_null());
  BOOST_TEST(plans[0]["workload"].get<std::string>() == "default");
  BOOST_TEST(plans[0]["accuracy"].get<double>() == whatif_accuracy, boost::test_tools::tolerance(1e-12));
  const CommandResult table = RunThinkplan(Db(dir) + " plans");
  BOOST_TEST(table.out.find("max_accuracy") != std::string::npos, table.out);
  const CommandResult empty = RunThinkplan("--db " + ShellQuote((dir / "none.db").string()) + " plans");
  BOOST_TEST(empty.exit_code == 2);  // no database: an input error that says how to make one
}

BOOST_AUTO_TEST_CASE(cost_prices_an_api_query_and_a_self_hosted_one) {
  ScratchDir dir;
  const std::string db = CatalogueDb(dir / "t.db") + " ";
  // o3-mini list prices 1.10 / 4.40 USD per million: 1000 prompt + 8000 thinking tokens = 0.0011 + 0.0352 USD.
  const CommandResult api = RunThinkplan(db + "cost --system o3-mini --thinking-tokens 8000 --prompt-tokens 1000 --json");
  BOOST_REQUIRE_MESSAGE(api.exit_code == 0, api.err);
  BOOST_TEST(nlohmann::json::parse(api.out)["total_usd"].get<double>() == 0.0363, boost::test_tools::tolerance(1e-12));
  // Llama-3.1-8B in bf16: 2 (K and V) x 32 layers x 8 KV heads x 128 dims x 2 bytes per cached token.
  const CommandResult hosted = RunThinkplan(
      db + "cost --system Llama-3.1-8B --hardware H100-SXM-80GB --price-per-hour 4.25 --thinking-tokens 4000 --batch 8 "
      "--devices 1 --json");
  BOOST_REQUIRE_MESSAGE(hosted.exit_code == 0, hosted.err);
  const auto out = nlohmann::json::parse(hosted.out);
  BOOST_TEST(out["kv_bytes_per_token"].get<double>() == 131072.0);
  BOOST_TEST(out["batch"].get<int>() == 8);
  // The last token of a long thought costs more than the first: the KV cache it reads has grown.
  BOOST_TEST(out["usd_per_mtok_last"].get<double>() > out["usd_per_mtok_first"].get<double>());
  const CommandResult typo = RunThinkplan(db + "cost --system o3mini --thinking-tokens 10");
  BOOST_TEST(typo.exit_code != 0);
  BOOST_TEST(typo.err.find("did you mean 'o3-mini'") != std::string::npos, typo.err);
}

BOOST_AUTO_TEST_SUITE_END()
