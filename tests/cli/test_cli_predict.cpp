// `thinkplan predict` through the executable on the demo database: a usage error (exit 1), a curve that is not
// there (exit 2, naming what is missing), majority vote on the assumed rho, the happy path as text and as JSON, and the
// sequential curve read back against its own stored parameters (the log-linear form alpha + beta ln b, computed here).
#include <boost/test/unit_test.hpp>

#include <cmath>

#include <nlohmann/json.hpp>

#include "tests/common/test_support.h"

using namespace thinkplan::testing;

namespace {

std::string Db(const ScratchDir& dir) { return "--db " + ShellQuote((dir / "t.db").string()); }

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_predict)

BOOST_AUTO_TEST_CASE(predict_reads_stored_curves_and_names_what_is_missing) {
  ScratchDir dir;
  BOOST_REQUIRE(RunThinkplan(Db(dir) + " demo --quiet --out " + ShellQuote((dir / "out").string())).exit_code == 0);
  const std::string o3 = Db(dir) + " predict --system o3-mini --class math-competition";
  BOOST_TEST(RunThinkplan(o3 + " --tokens 8k --aggregation vote@3").exit_code == 1);
  BOOST_TEST(RunThinkplan(o3 + " --tokens 30,000").exit_code == 1);
  const CommandResult missing = RunThinkplan(Db(dir) + " predict --system nobody --class math-competition --tokens 8k");
  BOOST_TEST(missing.exit_code == 2);
  BOOST_TEST(missing.err.find("no stored fits") != std::string::npos, missing.err);
  // o3-mini has no cons@k run: majority vote reads the stated prior on rho, marked assumed (a fallback, with a note).
  const CommandResult vote = RunThinkplan(o3 + " --tokens 8k --aggregation cons@5 --json");
  BOOST_REQUIRE_MESSAGE(vote.exit_code == 0, vote.err);
  const auto voted = nlohmann::json::parse(vote.out);
  BOOST_TEST(voted["status"] == "fallback");
  BOOST_TEST(voted["notes"].dump().find("rho assumed") != std::string::npos, voted["notes"].dump());
  BOOST_TEST(voted["mean_band"]["lower"].get<double>() < voted["accuracy"].get<double>());

  const CommandResult text = RunThinkplan(o3 + " --tokens 8k --problems 30");
  BOOST_REQUIRE_MESSAGE(text.exit_code == 0, text.err);
  BOOST_TEST(text.out.find("predictive band") != std::string::npos, text.out);
  const CommandResult json = RunThinkplan(o3 + " --tokens 8k --problems 30 --json");
  BOOST_REQUIRE_MESSAGE(json.exit_code == 0, json.err);
  const auto p = nlohmann::json::parse(json.out);
  // The curve predict reads: o3-mini's on the whole math-competition class (other classes and difficulty buckets of
  // o3-mini have curves of their own).
  const CommandResult fit = RunThinkplan(Db(dir) + " fit --system o3-mini --class math-competition --kind sequential --json");
  nlohmann::json stored;
  for (const auto& f : nlohmann::json::parse(fit.out)) {
    if (f["difficulty"] == "") stored = f;
  }
  BOOST_REQUIRE(stored.is_object());
  BOOST_REQUIRE(stored["form"] == "log-linear");
  const double alpha = stored["params"][0], beta = stored["params"][1];
  BOOST_TEST(p["accuracy"].get<double>() == alpha + beta * std::log(8000.0), boost::test_tools::tolerance(1e-9));
  BOOST_TEST(p["mean_band"]["lower"].get<double>() <= p["accuracy"].get<double>());
  BOOST_TEST(p["predictive_band"]["lower"].get<double>() <= p["mean_band"]["lower"].get<double>());
  BOOST_TEST(p["predictive_band"]["upper"].get<double>() >= p["mean_band"]["upper"].get<double>());
  BOOST_TEST(p["cost_usd_per_query"].is_number());
  BOOST_TEST(p["output_tokens_per_query"].get<double>() == 8500.0);
}

BOOST_AUTO_TEST_SUITE_END()
