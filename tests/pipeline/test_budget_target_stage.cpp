// Budgets as targets between stages: runs of a system whose budget is a target (Anthropic's
// thinking.budget_tokens, from the shipped catalogue) in the store -> FitStage's budget-target fit -> the fits
// table -> PredictStage's tokens at a budget. References: the weighted least-squares line of ln(m / b) on the
// centred ln b (docs/formulas.md section 8), computed here from the normal equations; and the same runs for a
// system with a hard cap, which must get no such fit.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "pipeline/fit_stage.h"
#include "pipeline/predict_stage.h"
#include "store/database.h"
#include "store/fits.h"
#include "tests/common/test_support.h"

namespace thinkplan::pipeline {
namespace {

struct SweepPoint {
  double budget, tokens, problems, correct;
};

// A Claude-like sweep: above the budget at 2k and 4k (the budget is a target), below it at 16k and 32k.
const std::vector<SweepPoint> kSweep = {
    {2000, 3100, 40, 12}, {4000, 5200, 40, 16}, {8000, 8300, 60, 27}, {16000, 13100, 60, 31}, {32000, 21000, 40, 23}};

std::string RunsCsv(const std::string& system) {
  std::string csv =
      "run_key,source,system,hardware,task_class,difficulty,benchmark,problem_set,mode,budget_tokens,effort,samples,"
      "aggregation,n_problems,n_correct,mean_output_tokens,mean_input_tokens,latency_p50_s,latency_p95_s,gpu_seconds,"
      "cost_usd,citation\n";
  for (const SweepPoint& p : kSweep) {
    csv += "t:" + system + ":" + std::to_string(static_cast<long>(p.budget)) + ",published," + system +
           ",,math-competition,,SweepBench,,extended," + std::to_string(static_cast<long>(p.budget)) + ",,1,pass@1," +
           std::to_string(static_cast<long>(p.problems)) + "," + std::to_string(static_cast<long>(p.correct)) + "," +
           std::to_string(static_cast<long>(p.tokens)) + ",,,,,,test sweep\n";
  }
  return csv;
}

// c0, c1 and ln b_ref of the weighted line, from the normal equations with x centred.
std::vector<double> ReferenceLine() {
  double sw = 0, swx = 0;
  for (const SweepPoint& p : kSweep) sw += p.problems, swx += p.problems * std::log(p.budget);
  const double ref = swx / sw;
  double swy = 0, swxy = 0, swxx = 0;
  for (const SweepPoint& p : kSweep) {
    const double x = std::log(p.budget) - ref, y = std::log(p.tokens / p.budget);
    swy += p.problems * y, swxy += p.problems * x * y, swxx += p.problems * x * x;
  }
  return {swy / sw, swxy / swxx, ref};
}

store::Database IngestSweep(const testing::ScratchDir& dir, const std::string& system) {
  store::Database db = store::Database::Open(dir / "t.db");
  db.Ingest(testing::DataDir() / "published" / "systems.csv");
  testing::WriteFile(dir / "runs.csv", RunsCsv(system));
  db.Ingest(dir / "runs.csv");
  return db;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(budget_target_stage)

BOOST_AUTO_TEST_CASE(a_target_budget_sweep_is_fitted_stored_and_read_by_predict_above_the_budget) {
  testing::ScratchDir dir;
  store::Database db = IngestSweep(dir, "Claude-3.7-Sonnet");
  const FitStageResult fitted = FitStage(db, testing::DataDir(), FitStageOptions{});
  const CurveKey key{"Claude-3.7-Sonnet", "math-competition", ""};
  const std::optional<store::StoredFit> fit = store::FindFit(db, "budget-target", key);
  BOOST_REQUIRE(fit);
  BOOST_CHECK(fit->quality.status == FitStatus::kOk);
  const std::vector<double> line = ReferenceLine();
  BOOST_REQUIRE_EQUAL(fit->params.size(), 3u);
  for (int i = 0; i < 3; ++i) BOOST_CHECK_SMALL(fit->params[i] - line[i], 1e-9);
  BOOST_CHECK(!fitted.lines.empty());

  PredictOptions o;
  o.key = key;
  o.budget_tokens = 2000.0;
  const Prediction low = PredictStage(db, o);
  const double expected = 2000.0 * std::exp(line[0] + line[1] * (std::log(2000.0) - line[2]));
  BOOST_CHECK_SMALL(low.thinking_tokens - expected, 1e-6 * expected);
  BOOST_CHECK_GT(low.thinking_tokens, 2000.0);  // the capped LogNormal could not say this
  BOOST_CHECK_LT(low.thinking_tokens_band.lower, low.thinking_tokens);
  BOOST_CHECK_GT(low.thinking_tokens_band.upper, low.thinking_tokens);
  BOOST_CHECK(low.tokens_source.find("budget target") != std::string::npos);
  // Beyond the largest budget measured the tokens keep growing (c1 > -1), so the accuracy read does too.
  o.budget_tokens = 32000.0;
  const Prediction largest = PredictStage(db, o);
  o.budget_tokens = 64000.0;
  const Prediction beyond = PredictStage(db, o);
  BOOST_CHECK_GT(beyond.thinking_tokens, largest.thinking_tokens);
  BOOST_CHECK_GT(beyond.single_sample, largest.single_sample);
}

BOOST_AUTO_TEST_CASE(a_hard_cap_gets_no_budget_target_fit) {
  testing::ScratchDir dir;
  store::Database db = IngestSweep(dir, "s1-32B");  // budget forcing: a cap the model cannot exceed
  FitStage(db, testing::DataDir(), FitStageOptions{});
  BOOST_CHECK(!store::FindFit(db, "budget-target", {"s1-32B", "math-competition", ""}));
  BOOST_CHECK(store::FindFit(db, "tokens", {"s1-32B", "math-competition", ""}));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan::pipeline
