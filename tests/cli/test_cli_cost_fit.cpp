// `thinkplan fit --kind cost` as a user runs it, and what it changes downstream: ingesting perf runs and fitting
// them changes `cost`'s answer; an unchanged input is not refitted, a changed one is; removing the runs makes
// `cost` fall back to the built-in defaults with a message; a question beyond the measured context is warned about.
#include <boost/test/unit_test.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "store/database.h"
#include "tests/common/test_support.h"

using namespace thinkplan::testing;

namespace {

std::string Db(const ScratchDir& dir) { return "--db " + ShellQuote((dir / "t.db").string()); }

// The Argonne runs of one group (H100, vLLM, one device), as the shipped perf CSV has them.
std::filesystem::path WriteH100VllmRuns(const ScratchDir& dir) {
  std::ifstream in(DataDir() / "public" / "argonne" / "perf.csv");
  std::string line, out;
  std::getline(in, line);
  out = line + "\n";
  while (std::getline(in, line)) {
    if (line.find(",Nvidia H100 GPU,1,vLLM,") != std::string::npos) out += line + "\n";
  }
  const std::filesystem::path path = dir / "h100_vllm.csv";
  WriteFile(path, out);
  return path;
}

const std::string kCost = " cost --system Llama-3.1-8B --hardware H100-SXM-80GB --devices 1 --thinking-tokens 16000";

nlohmann::json CostJson(const ScratchDir& dir) {
  const CommandResult r = RunThinkplan(Db(dir) + kCost + " --json");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  return nlohmann::json::parse(r.out);
}

const nlohmann::json* FindFit(const nlohmann::json& fits, const std::string& hardware) {
  for (const auto& fit : fits) {
    if (fit["kind"] == "cost" && fit["system"] == hardware) return &fit;
  }
  return nullptr;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_cost_fit)

BOOST_AUTO_TEST_CASE(stored_perf_runs_drive_cost_and_removing_them_falls_back) {
  ScratchDir dir;
  CatalogueDb(dir / "t.db");  // the shipped catalogues, no perf run
  // No fit stored: the built-in defaults, said so.
  const nlohmann::json before = CostJson(dir);
  BOOST_TEST(!before["efficiency_fitted"].get<bool>());
  const CommandResult text = RunThinkplan(Db(dir) + kCost);
  BOOST_TEST(text.out.find("no serving-rate fit stored") != std::string::npos, text.out);

  BOOST_REQUIRE(RunThinkplan(Db(dir) + " ingest " + ShellQuote(WriteH100VllmRuns(dir).string())).exit_code == 0);
  const CommandResult fitted = RunThinkplan(Db(dir) + " fit --kind cost --json");
  BOOST_REQUIRE_MESSAGE(fitted.exit_code == 0, fitted.err);
  const auto fits = nlohmann::json::parse(fitted.out);
  const nlohmann::json* h100 = FindFit(fits, "Nvidia H100 GPU");
  BOOST_REQUIRE(h100 != nullptr);
  BOOST_TEST((*h100)["status"] == "ok");
  BOOST_TEST((*h100)["task_class"] == "vLLM");
  BOOST_TEST((*h100)["difficulty"] == "1x bf16");
  BOOST_TEST((*h100)["refitted"].get<bool>());
  BOOST_TEST((*h100)["params"].size() == 3u);
  BOOST_TEST((*h100)["covariance"].size() == 9u);
  BOOST_TEST((*h100)["group"]["catalogue_hardware"] == "H100-SXM-80GB");
  BOOST_TEST((*h100)["group"]["max_context_tokens"].get<long>() == 4096);  // Argonne: 2,048 in + 2,048 out
  BOOST_TEST((*h100)["validation"]["runs"].get<long>() > 90);
  BOOST_TEST((*h100)["validation"]["median_ape"].get<double>() < 15.0);
  // BW_eff against the datasheet: the stored fraction is the rate over 3.35 TB/s.
  BOOST_TEST((*h100)["group"]["bandwidth_fraction"].get<double>() ==
                 (*h100)["params"][2].get<double>() / 3.35e12, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(FindFit(fits, "*") != nullptr);  // the default row for cards without a fit

  // The stored fit reaches `cost`: its rates, and a different price per query.
  const nlohmann::json after = CostJson(dir);
  BOOST_TEST(after["efficiency_fitted"].get<bool>());
  BOOST_TEST(after["efficiency_source"].get<std::string>().find("Nvidia H100 GPU / vLLM") != std::string::npos);
  BOOST_TEST(after["bw_eff_bytes_per_s"].get<double>() == (*h100)["params"][2].get<double>(),
             boost::test_tools::tolerance(1e-9));
  BOOST_TEST(after["usd_per_query"].get<double>() != before["usd_per_query"].get<double>());
  // 500 + 16,000 + 300 tokens of context against 4,096 measured: a warning that says how far.
  BOOST_REQUIRE(after["warnings"].size() == 1u);
  BOOST_TEST(after["warnings"][0].get<std::string>().find("4096 tokens") != std::string::npos);
  BOOST_TEST(RunThinkplan(Db(dir) + kCost).err.find("warning: a context of") != std::string::npos);

  // Unchanged input: nothing refitted. A changed run: its group is refitted.
  const auto again = nlohmann::json::parse(RunThinkplan(Db(dir) + " fit --kind cost --json").out);
  for (const auto& fit : again) BOOST_TEST(!fit["refitted"].get<bool>());
  {
    thinkplan::store::Database db = thinkplan::store::Database::Open(dir / "t.db");
    SQLite::Statement update(db.connection(), "UPDATE perf_runs SET latency_s = latency_s * 2 WHERE batch = ?");
    update.bind(1, 64);
    BOOST_REQUIRE(update.exec() > 0);
  }
  const auto changed = nlohmann::json::parse(RunThinkplan(Db(dir) + " fit --kind cost --json").out);
  BOOST_TEST((*FindFit(changed, "Nvidia H100 GPU"))["refitted"].get<bool>());

  // Without perf runs the fits go, and `cost` falls back with a message.
  {
    thinkplan::store::Database db = thinkplan::store::Database::Open(dir / "t.db");
    db.connection().exec("DELETE FROM perf_runs");
  }
  const CommandResult emptied = RunThinkplan(Db(dir) + " fit --kind cost");
  BOOST_TEST(emptied.exit_code == 0);
  BOOST_TEST(emptied.err.find("removed") != std::string::npos, emptied.err);
  BOOST_TEST(!CostJson(dir)["efficiency_fitted"].get<bool>());
  BOOST_TEST(RunThinkplan(Db(dir) + kCost).out.find("no serving-rate fit stored") != std::string::npos);
}

// The fit reads its model shapes and cards from the database like every other stage: a model the shipped
// catalogue does not know, ingested by the user beside its perf runs, is fitted and costed with no data folder.
BOOST_AUTO_TEST_CASE(a_model_ingested_with_its_perf_runs_is_fitted_without_a_data_folder) {
  ScratchDir dir;
  CatalogueDb(dir / "t.db");  // before the data folder goes
  std::filesystem::create_directories(dir / "empty");
  const ScopedEnv no_data("THINKPLAN_DATA_DIR", (dir / "empty").string());
  // The H100 / vLLM / one-device runs, Meta-Llama-3-8B's under a name no shipped file has.
  std::ifstream in(DataDir() / "public" / "argonne" / "perf.csv");
  std::string line, runs;
  long acme_runs = 0;
  std::getline(in, line);
  runs = line + "\n";
  const std::string group = ",Nvidia H100 GPU,1,vLLM,", llama = group + "meta-llama/Meta-Llama-3-8B,";
  while (std::getline(in, line)) {
    if (const auto at = line.find(llama); at != std::string::npos) {
      line.replace(at, llama.size(), group + "acme/Acme-8B,");
      ++acme_runs;
    }
    if (line.find(group) != std::string::npos) runs += line + "\n";
  }
  BOOST_REQUIRE(acme_runs > 10);
  WriteFile(dir / "acme_perf.csv", runs);
  const auto fit = [&] {
    const CommandResult fitted = RunThinkplan(Db(dir) + " fit --kind cost --json");
    BOOST_REQUIRE_MESSAGE(fitted.exit_code == 0, fitted.err);
    const nlohmann::json fits = nlohmann::json::parse(fitted.out);
    const nlohmann::json* h100 = FindFit(fits, "Nvidia H100 GPU");
    BOOST_REQUIRE(h100 != nullptr);
    BOOST_TEST((*h100)["status"] == "ok");
    // The card row ingested from models/accelerators.csv says it is the catalogue's H100-SXM-80GB.
    BOOST_TEST((*h100)["group"]["catalogue_hardware"] == "H100-SXM-80GB");
    return (*h100)["validation"]["runs"].get<long>();
  };
  BOOST_REQUIRE(RunThinkplan(Db(dir) + " --quiet ingest " + ShellQuote((dir / "acme_perf.csv").string())).exit_code == 0);
  const long without_shape = fit();
  // Meta-Llama-3-8B's published configuration as the user's model.
  WriteFile(dir / "acme_model.csv",
            "model,hf_id,params_total_b,params_active_b,layers,hidden,heads,kv_heads,head_dim,intermediate,vocab,"
            "weight_precision,kv_precision\n"
            "Acme-8B,acme/Acme-8B,8.03,8.03,32,4096,32,8,128,14336,128256,bf16,bf16\n");
  BOOST_REQUIRE(RunThinkplan(Db(dir) + " --quiet ingest " + ShellQuote((dir / "acme_model.csv").string())).exit_code == 0);
  // Every Acme-8B run is predicted once its shape is in the database.
  BOOST_TEST(fit() == without_shape + acme_runs);
  const CommandResult cost = RunThinkplan(Db(dir) + " cost --system Acme-8B --hardware H100-SXM-80GB --devices 1 "
                                                    "--thinking-tokens 1000 --json");
  BOOST_REQUIRE_MESSAGE(cost.exit_code == 0, cost.err);
  BOOST_TEST(nlohmann::json::parse(cost.out)["efficiency_fitted"].get<bool>());
}

BOOST_AUTO_TEST_CASE(fit_kind_cost_is_listed_and_unknown_kinds_name_it) {
  const CommandResult help = RunThinkplan("fit --help");
  BOOST_TEST(help.out.find("--kind cost") != std::string::npos, help.out);
  ScratchDir dir;
  BOOST_REQUIRE(RunThinkplan(Db(dir) + " ingest " + ShellQuote(WriteH100VllmRuns(dir).string())).exit_code == 0);
  const CommandResult bad = RunThinkplan(Db(dir) + " fit --kind costs");
  BOOST_TEST(bad.exit_code == 1);
  BOOST_TEST(bad.err.find("cost") != std::string::npos, bad.err);
  const CommandResult table = RunThinkplan(Db(dir) + " fit --kind cost");
  BOOST_TEST(table.exit_code == 0, table.err);
  BOOST_TEST(table.out.find("leave-one-batch-out") != std::string::npos, table.out);
  BOOST_TEST(table.out.find("Nvidia H100 GPU / vLLM / 1 device(s) / bf16") != std::string::npos, table.out);
}

BOOST_AUTO_TEST_SUITE_END()
