// The catalogues live in the database (issue 14): a system ingested into a fresh database is listed, costed and
// planned with no data folder at all; a plan records the dated price rows it used; precision changes what a
// self-hosted replica holds and moves, by the bytes a hand computation gives.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <map>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "store/database.h"
#include "store/plans.h"
#include "tests/common/test_support.h"

using namespace thinkplan::testing;
using nlohmann::json;

namespace {

// A workload of one class served by Acme-Think; `class_fields` names the class and sets its token sizes.
std::string AcmeWorkload(const std::string& name, const std::string& class_fields) {
  return R"({"name": ")" + name + R"(", "objective": "max_accuracy", "budget_usd_per_month": 1000,
    "systems": [{"name": "Acme-Think", "kind": "api", "budget_knob": false, "ttft_s": 1, "output_tokens_per_s": 100,
                 "thinking_tokens": {"extended": 2000}}],
    "classes": [{)" + class_fields + R"(, "daily_volume": 100, "value_usd": 1, "verifier": {"kind": "none"},
                 "buckets": [{"name": "easy", "task_class": "acme-class", "difficulty": "easy", "share": 1}]}]})";
}

// One system of a vendor no shipped file knows, its three dated prices (the last one announced for a future
// date, so not in force), and one stored run for a class.
void WriteAcme(const ScratchDir& dir) {
  WriteFile(dir / "systems.csv", "system,vendor,kind\nAcme-Think,Acme,reasoning\n");
  WriteFile(dir / "prices.csv",
            "system,effective_from,price_in_usd_per_mtok,price_cached_in_usd_per_mtok,price_out_usd_per_mtok,citation\n"
            "Acme-Think,2025-01-01,2.00,0.50,8.00,launch\n"
            "Acme-Think,2025-06-01,1.00,0.25,4.00,first cut\n"
            "Acme-Think,2999-01-01,0.10,,0.40,announced for later\n");
  WriteFile(dir / "runs.csv",
            "run_key,source,system,task_class,difficulty,mode,samples,aggregation,n_problems,n_correct,"
            "mean_output_tokens\n"
            "acme-1,measured,Acme-Think,acme-class,easy,extended,1,pass@1,200,150,2000\n");
  WriteFile(dir / "w.json", AcmeWorkload("acme", R"("name": "c", "prompt_tokens": 1000, "answer_tokens": 0)"));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_catalogues)

BOOST_AUTO_TEST_CASE(a_system_ingested_into_a_fresh_database_is_costed_and_planned_without_a_data_folder) {
  ScratchDir dir;
  std::filesystem::create_directories(dir / "empty");
  const ScopedEnv no_data("THINKPLAN_DATA_DIR", (dir / "empty").string());
  WriteAcme(dir);
  const std::string db = "--db " + ShellQuote((dir / "t.db").string());
  const CommandResult ingest = RunThinkplan(db + " --quiet ingest " + ShellQuote((dir / "systems.csv").string()) + " " +
                                            ShellQuote((dir / "prices.csv").string()) + " " +
                                            ShellQuote((dir / "runs.csv").string()));
  BOOST_REQUIRE_MESSAGE(ingest.exit_code == 0, ingest.err);

  // The price in force today is the 2025-06-01 row: 1000 prompt x 1.00 + 1000 thinking x 4.00 per million.
  const CommandResult cost = RunThinkplan(db + " cost --system Acme-Think --thinking-tokens 1000 --prompt-tokens 1000 --json");
  BOOST_REQUIRE_MESSAGE(cost.exit_code == 0, cost.err);
  const json c = json::parse(cost.out);
  BOOST_TEST(c["total_usd"].get<double>() == (1000 * 1.00 + 1000 * 4.00) / 1e6, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(c["price_effective_from"].get<std::string>() == "2025-06-01");
  BOOST_TEST(c["price_cached_in_usd_per_mtok"].get<double>() == 0.25);

  // Listed as stored, with its price history; the class with its one run.
  const json systems = json::parse(RunThinkplan(db + " systems --json").out);
  BOOST_REQUIRE(systems.size() == 1u);
  BOOST_TEST(systems[0]["name"].get<std::string>() == "Acme-Think");
  BOOST_TEST(systems[0]["price_history"].size() == 3u);
  const json then = json::parse(RunThinkplan(db + " systems --as-of 2025-03-01 --json").out);
  BOOST_TEST(then[0]["price_out_usd_per_mtok"].get<double>() == 8.0);
  const json classes = json::parse(RunThinkplan(db + " classes --json").out);
  BOOST_REQUIRE(classes.size() == 1u);
  BOOST_TEST(classes[0]["name"].get<std::string>() == "acme-class");
  BOOST_TEST(classes[0]["runs"].get<int>() == 1);

  // Planned on the stored run; the stored plan names the price row it used.
  const CommandResult plan = RunThinkplan(db + " --quiet plan " + ShellQuote((dir / "w.json").string()) + " --json");
  BOOST_REQUIRE_MESSAGE(plan.exit_code == 0, plan.err + plan.out);
  thinkplan::store::Database store = thinkplan::store::Database::Open(dir / "t.db");
  const auto plans = thinkplan::store::ListPlans(store);
  BOOST_REQUIRE(plans.size() == 1u);
  const json used = json::parse(plans[0].plan_json)["prices_used"];
  BOOST_REQUIRE(used.size() == 1u);
  BOOST_TEST(used[0]["system"].get<std::string>() == "Acme-Think");
  BOOST_TEST(used[0]["source"].get<std::string>() == "system_prices");
  BOOST_TEST(used[0]["effective_from"].get<std::string>() == "2025-06-01");
  BOOST_TEST(used[0]["price_in_usd_per_mtok"].get<double>() == 1.0);
  BOOST_TEST(used[0]["price_out_usd_per_mtok"].get<double>() == 4.0);
  BOOST_TEST(used[0]["citation"].get<std::string>() == "first cut");
}

BOOST_AUTO_TEST_CASE(an_unknown_system_in_an_empty_database_is_an_error_that_says_how_to_list) {
  ScratchDir dir;
  const std::string db = CatalogueDb(dir / "t.db");
  const CommandResult r = RunThinkplan(db + " cost --system Acme-Think --thinking-tokens 10");
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("thinkplan systems") != std::string::npos, r.err);
  const CommandResult none = RunThinkplan("--db " + ShellQuote((dir / "none.db").string()) + " systems");
  BOOST_TEST(none.exit_code == 2, none.err);  // no database: an input error that says how to make one
}

BOOST_AUTO_TEST_CASE(fp8_llama_70b_fits_one_80gb_card_and_moves_half_the_weight_bytes) {
  ScratchDir dir;
  const std::string db = CatalogueDb(dir / "t.db");
  const std::string base = db + " cost --system Llama-3.1-70B --hardware H100-SXM-80GB --price-per-hour 4 "
                                "--thinking-tokens 2000 --batch 1 --json";
  // bf16: 70.55e9 x 2 bytes = 141 GB of weights, more than one 80 GiB card holds.
  const CommandResult bf16 = RunThinkplan(base + " --devices 1");
  BOOST_TEST(bf16.exit_code == 1, bf16.out);
  // fp8: 70.55e9 bytes (65.7 GiB) beside 8 GiB of reserve leaves 6.76e9 bytes for the cache.
  const CommandResult fp8 = RunThinkplan(base + " --devices 1 --precision fp8");
  BOOST_REQUIRE_MESSAGE(fp8.exit_code == 0, fp8.err);
  const json one = json::parse(fp8.out);
  BOOST_TEST(one["weight_bytes"].get<double>() == 70.55e9, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(one["weight_precision"].get<std::string>() == "fp8");
  BOOST_TEST(one["peak_precision"].get<std::string>() == "fp8");  // the H100 row lists an fp8 peak
  // The cache stays bf16 unless asked: 2 x 80 layers x 8 KV heads x 128 dims x 2 bytes; fp8 halves it.
  BOOST_TEST(one["kv_bytes_per_token"].get<double>() == 2.0 * 80 * 8 * 128 * 2);
  const json fp8_kv = json::parse(RunThinkplan(base + " --devices 1 --precision fp8 --kv-precision fp8").out);
  BOOST_TEST(fp8_kv["kv_bytes_per_token"].get<double>() == 2.0 * 80 * 8 * 128 * 1);

  // On the same two-card replica, one decode step's memory term differs by the weight bytes no longer read:
  // (2 - 1) bytes x 70.55e9 parameters over the replica's effective bandwidth.
  const json b = json::parse(RunThinkplan(base + " --devices 2").out);
  const json f = json::parse(RunThinkplan(base + " --devices 2 --precision fp8").out);
  const double bandwidth = b["bw_eff_bytes_per_s"].get<double>();
  BOOST_TEST(f["bw_eff_bytes_per_s"].get<double>() == bandwidth);
  BOOST_TEST(b["first_step"]["memory_s"].get<double>() - f["first_step"]["memory_s"].get<double>() ==
                 70.55e9 / bandwidth,
             boost::test_tools::tolerance(1e-9));
  BOOST_TEST(f["usd_per_query"].get<double>() < b["usd_per_query"].get<double>());
  const CommandResult bad = RunThinkplan(base + " --devices 1 --kv-precision int4");
  BOOST_TEST(bad.exit_code == 1);
  BOOST_TEST(bad.err.find("--kv-precision 'int4': expected one of bf16|fp16|fp8") != std::string::npos, bad.err);
}

BOOST_AUTO_TEST_CASE(the_catalogue_commands_list_what_was_ingested) {
  ScratchDir dir;
  const std::string db = CatalogueDb(dir / "t.db");
  const json models = json::parse(RunThinkplan(db + " models --json").out);
  bool found = false;
  for (const json& m : models) {
    if (m["name"] != "DeepSeek-R1") continue;
    found = true;
    BOOST_TEST(m["weight_precision"].get<std::string>() == "fp8");
    BOOST_TEST(m["kv_bytes_per_token"].get<double>() == 70272.0);  // the MLA latent of data/models/README.md
  }
  BOOST_TEST(found);
  // The 5 catalogue parts of published/hardware.csv and the 9 cards the Argonne runs name (models/accelerators.csv),
  // each of those saying which part it is where it is one.
  const json hardware = json::parse(RunThinkplan(db + " hardware --json").out);
  BOOST_TEST(hardware.size() == 14u);
  for (const json& h : hardware) {
    if (h["name"] == "Nvidia H100 GPU") BOOST_TEST(h["same_part_as"] == "H100-SXM-80GB");
    if (h["name"] == "H100-SXM-80GB") BOOST_TEST(h["same_part_as"] == "");
    if (h["name"] == "Nvidia GH200 GPU") BOOST_TEST(h["same_part_as"] == "");
  }
  // o3's list price was cut from 10/40 to 2/8 on 2025-06-10 (data/published/prices.csv, from the vendor note).
  const json systems = json::parse(RunThinkplan(db + " systems --json").out);
  for (const json& s : systems) {
    if (s["name"] != "o3") continue;
    BOOST_TEST(s["price_in_usd_per_mtok"].get<double>() == 2.0);
    BOOST_TEST(s["price_out_usd_per_mtok"].get<double>() == 8.0);
    BOOST_TEST(s["price_effective_from"].get<std::string>() == "2025-06-10");
  }
  const CommandResult table = RunThinkplan(db + " systems --history");
  BOOST_TEST(table.out.find("2025-06-10") != std::string::npos, table.out);
  for (const char* command : {"systems", "hardware", "models", "classes"}) {
    const CommandResult help = RunThinkplan(std::string(command) + " --help");
    BOOST_TEST(help.exit_code == 0, command);
    BOOST_TEST(help.out.find("Examples:") != std::string::npos, command);
  }
}

// `systems` shows how export-policy calls each system, from the API catalogue: the model id, the endpoint and the
// knob with its range, as data/apis/system_apis.csv and the vendors' documents (docs/policy.md) state them.
BOOST_AUTO_TEST_CASE(systems_show_the_api_model_id_endpoint_and_knob_of_the_api_catalogue) {
  ScratchDir dir;
  const std::string db = CatalogueDb(dir / "t.db");
  std::map<std::string, json> by_name;
  for (const json& s : json::parse(RunThinkplan(db + " systems --json").out)) by_name[s["name"]] = s;
  const json& claude = by_name.at("Claude-3.7-Sonnet").at("api");
  BOOST_TEST(claude["api_model_id"] == "claude-3-7-sonnet-20250219");
  BOOST_TEST(claude["endpoint"] == "POST /v1/messages");
  BOOST_TEST(claude["knob"] == "budget");
  BOOST_TEST(claude["budget_min_tokens"] == 1024);
  BOOST_TEST(claude["budget_max_tokens"] == 63999);
  BOOST_TEST(by_name.at("Gemini-2.5-Pro").at("api")["endpoint"] == "POST /v1beta/models/gemini-2.5-pro:generateContent");
  BOOST_TEST(by_name.at("o3").at("api")["endpoint"] == "POST /v1/responses");
  BOOST_TEST(by_name.at("o3").at("api")["effort_values"] == "low|medium|high");
  const CommandResult table = RunThinkplan(db + " systems");
  BOOST_TEST(table.out.find("anthropic claude-3-7-sonnet-20250219") != std::string::npos, table.out);
  BOOST_TEST(table.out.find("budget 1024..63999") != std::string::npos, table.out);
  // --api: every row of the shipped API catalogue, counted here from the file's lines.
  std::size_t rows = 0;
  std::istringstream csv(ReadFile(DataDir() / "apis" / "system_apis.csv"));
  for (std::string line; std::getline(csv, line);) rows += line.empty() ? 0 : 1;
  const json apis = json::parse(RunThinkplan(db + " systems --api --json").out);
  BOOST_TEST(apis.size() == rows - 1);  // less the header
  const CommandResult api_table = RunThinkplan(db + " systems --api");
  BOOST_TEST(api_table.exit_code == 0);
  BOOST_TEST(api_table.out.find("POST /v1beta/models/gemini-2.5-pro:generateContent") != std::string::npos,
             api_table.out);
}

BOOST_AUTO_TEST_CASE(cost_bills_the_cached_share_of_the_prompt_at_the_cached_input_price) {
  ScratchDir dir;
  WriteAcme(dir);
  // Acme-Plain has list prices and no cached-input price; its API fields come in the systems file itself.
  WriteFile(dir / "plain.csv",
            "system,vendor,kind,price_in_usd_per_mtok,price_out_usd_per_mtok,api,api_model_id,thinking,knob,"
            "max_output_tokens\n"
            "Acme-Plain,Acme,reasoning,3.00,12.00,openai,acme-plain-1,always,none,8000\n");
  WriteFile(dir / "cached.json",
            AcmeWorkload("cached",
                         R"("name": "rag", "prompt_tokens": 4000, "answer_tokens": 200, "cached_input_share": 0.5)"));
  const std::string db = "--db " + ShellQuote((dir / "t.db").string());
  const CommandResult ingest = RunThinkplan(db + " --quiet ingest " + ShellQuote((dir / "systems.csv").string()) + " " +
                                            ShellQuote((dir / "prices.csv").string()) + " " +
                                            ShellQuote((dir / "plain.csv").string()));
  BOOST_REQUIRE_MESSAGE(ingest.exit_code == 0, ingest.err);

  // In force: $1.00 in, $0.25 cached, $4.00 out per million. 1000 prompt tokens, 75% cached, 1000 thinking:
  // 250 x 1.00 + 750 x 0.25 + 1000 x 4.00 = 4437.5 per million.
  const CommandResult given = RunThinkplan(db + " cost --system Acme-Think --thinking-tokens 1000 --prompt-tokens 1000 "
                                                "--cached-input-share 0.75 --json");
  BOOST_REQUIRE_MESSAGE(given.exit_code == 0, given.err);
  const json g = json::parse(given.out);
  BOOST_TEST(g["total_usd"].get<double>() == 4437.5e-6, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(g["input_usd"].get<double>() == 437.5e-6, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(g["cached_input_share"].get<double>() == 0.75);
  BOOST_TEST(g["cached_prompt_tokens"].get<double>() == 750.0);
  BOOST_TEST(g["cached_input_share_source"].get<std::string>() == "--cached-input-share");

  // From the workload's class: its 4000 prompt and 200 answer tokens, half the prompt cached:
  // 2000 x 1.00 + 2000 x 0.25 + (1000 + 200) x 4.00 = 7300 per million.
  const CommandResult from_class =
      RunThinkplan(db + " cost --system Acme-Think --thinking-tokens 1000 --workload " +
                   ShellQuote((dir / "cached.json").string()) + " --class rag --json");
  BOOST_REQUIRE_MESSAGE(from_class.exit_code == 0, from_class.err);
  const json k = json::parse(from_class.out);
  BOOST_TEST(k["total_usd"].get<double>() == 7300e-6, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(k["cached_input_share"].get<double>() == 0.5);
  // The option overrides the class; without either, nothing is cached.
  const json over = json::parse(RunThinkplan(db + " cost --system Acme-Think --thinking-tokens 1000 --workload " +
                                             ShellQuote((dir / "cached.json").string()) +
                                             " --class rag --cached-input-share 0 --json").out);
  BOOST_TEST(over["total_usd"].get<double>() == (4000 * 1.00 + 1200 * 4.00) / 1e6, boost::test_tools::tolerance(1e-12));
  const CommandResult plain_text = RunThinkplan(db + " cost --system Acme-Think --thinking-tokens 1000 --prompt-tokens 1000");
  BOOST_TEST(plain_text.out.find("0% from the cache") != std::string::npos, plain_text.out);

  // No cached-input price: the cached share is billed at the full input price, with a note.
  const CommandResult plain = RunThinkplan(db + " cost --system Acme-Plain --thinking-tokens 1000 --prompt-tokens 1000 "
                                                "--cached-input-share 0.75 --json");
  BOOST_REQUIRE_MESSAGE(plain.exit_code == 0, plain.err);
  const json p = json::parse(plain.out);
  BOOST_TEST(p["total_usd"].get<double>() == (1000 * 3.00 + 1000 * 12.00) / 1e6, boost::test_tools::tolerance(1e-12));
  BOOST_REQUIRE(p["notes"].size() == 1u);
  BOOST_TEST(p["notes"][0].get<std::string>().find("full input price") != std::string::npos);
  const CommandResult plain_note = RunThinkplan(db + " cost --system Acme-Plain --thinking-tokens 1000 --prompt-tokens 1000 "
                                                     "--cached-input-share 0.75");
  BOOST_TEST(plain_note.out.find("no cached-input price") != std::string::npos, plain_note.out);
  // The systems file's API fields are the system's API row.
  const json systems = json::parse(RunThinkplan(db + " systems --json").out);
  bool found = false;
  for (const json& s : systems) {
    if (s["name"] != "Acme-Plain") continue;
    found = true;
    BOOST_TEST(s["api"]["api_model_id"].get<std::string>() == "acme-plain-1");
  }
  BOOST_TEST(found);

  // Out of range, with --hardware, or a class without its workload: usage errors naming the option.
  const CommandResult high = RunThinkplan(db + " cost --system Acme-Think --thinking-tokens 1 --cached-input-share 1.5");
  BOOST_TEST(high.exit_code == 1);
  BOOST_TEST(high.err.find("--cached-input-share") != std::string::npos, high.err);
  const CommandResult lone = RunThinkplan(db + " cost --system Acme-Think --thinking-tokens 1 --class rag");
  BOOST_TEST(lone.exit_code == 1);
  BOOST_TEST(lone.err.find("--workload") != std::string::npos, lone.err);
  const CommandResult unknown = RunThinkplan(db + " cost --system Acme-Think --thinking-tokens 1 --workload " +
                                             ShellQuote((dir / "cached.json").string()) + " --class rga");
  BOOST_TEST(unknown.exit_code == 1);
  BOOST_TEST(unknown.err.find("--class 'rga'") != std::string::npos, unknown.err);
  BOOST_TEST(unknown.err.find("has no such class") != std::string::npos, unknown.err);
}

BOOST_AUTO_TEST_SUITE_END()
