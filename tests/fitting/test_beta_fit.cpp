// Beta difficulty fits: agreement with a brute-force likelihood maximum, interval coverage on 200 simulated
// replicates, aggregate pass@k points, LiveCodeBench per-problem data against the empirical unbiased pass@k, and
// the degenerate inputs.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <random>

#include "core/errors.h"
#include "fitting/beta_fit.h"
#include "fitting/parallel_scaling.h"
#include "tests/common/test_support.h"
#include "tests/fitting/csv_table.h"
#include "tests/fitting/reference_math.h"

namespace thinkplan::fitting {
namespace {

std::vector<SampleCount> Simulate(double a, double b, int problems, int samples, std::mt19937_64& rng) {
  std::vector<SampleCount> out;
  for (int i = 0; i < problems; ++i) {
    std::binomial_distribution<int> draw(samples, testing::SampleBeta(rng, a, b));
    out.push_back({static_cast<double>(samples), static_cast<double>(draw(rng))});
  }
  return out;
}

// The beta-binomial log-likelihood written out with std::lgamma.
double LogLik(const std::vector<SampleCount>& data, double a, double b) {
  const auto lbeta = [](double x, double y) { return std::lgamma(x) + std::lgamma(y) - std::lgamma(x + y); };
  double ll = 0.0;
  for (const SampleCount& p : data) ll += lbeta(p.correct + a, p.samples - p.correct + b) - lbeta(a, b);
  return ll;
}

// LiveCodeBench 2024-04 per problem, grouped by (model, difficulty): the shipped conversion when present, else the
// shared source (pass_at_1_pct of 10 samples).
std::map<std::pair<std::string, std::string>, std::vector<SampleCount>> LoadLiveCodeBench() {
  std::map<std::pair<std::string, std::string>, std::vector<SampleCount>> groups;
  const std::filesystem::path shipped = testing::SourceDir() / "data/public/livecodebench/problems_2024-04.csv";
  if (std::filesystem::exists(shipped)) {
    const testing::CsvTable table = testing::ReadCsv(shipped);
    const int key = table.Column("run_key"), n = table.Column("samples"), c = table.Column("correct");
    for (const auto& row : table.rows) {
      const std::string& run_key = row[key];  // lcb-2024-04:<model>:<difficulty>
      const size_t first = run_key.find(':'), last = run_key.rfind(':');
      groups[{run_key.substr(first + 1, last - first - 1), run_key.substr(last + 1)}].push_back(
          {std::stod(row[n]), std::stod(row[c])});
    }
  } else {
    const testing::CsvTable table =
        testing::ReadCsv(testing::SharedDataDir() / "public/livecodebench/lcb_codegen_perproblem_2024-04.csv");
    const int model = table.Column("model"), diff = table.Column("difficulty"), pct = table.Column("pass_at_1_pct");
    for (const auto& row : table.rows) {
      groups[{row[model], row[diff]}].push_back({10.0, std::round(std::stod(row[pct]) / 10.0)});
    }
  }
  return groups;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(beta_fit)

BOOST_AUTO_TEST_CASE(matches_brute_force_likelihood_maximum) {
  std::mt19937_64 rng(5);
  const std::vector<SampleCount> data = Simulate(0.4, 0.6, 300, 10, rng);
  Summary summary;
  const BetaDifficulty beta = FitBetaBinomial(data, Options{}, &summary);
  BOOST_TEST_MESSAGE(summary.FullReport());
  BOOST_REQUIRE(beta.quality.status == FitStatus::kOk);
  // Grid search on (ln a, ln b), refined three times around the best cell.
  double best_a = 1, best_b = 1, best = -1e300, la = std::log(0.4), lb = std::log(0.6), width = 2.0;
  for (int round = 0; round < 4; ++round, width /= 20.0) {
    const double ca = la, cb = lb;
    for (int i = -40; i <= 40; ++i) {
      for (int j = -40; j <= 40; ++j) {
        const double x = ca + width * i / 40.0, y = cb + width * j / 40.0;
        const double ll = LogLik(data, std::exp(x), std::exp(y));
        if (ll > best) best = ll, la = x, lb = y, best_a = std::exp(x), best_b = std::exp(y);
      }
    }
  }
  BOOST_CHECK_CLOSE(beta.a, best_a, 0.1);
  BOOST_CHECK_CLOSE(beta.b, best_b, 0.1);
  BOOST_CHECK_GE(beta.quality.log_likelihood + 1e-9, best + 0.0);  // (plus the constant ln C terms)
}

BOOST_AUTO_TEST_CASE(intervals_cover_the_truth_in_200_replicates) {
  std::mt19937_64 rng(20240601);
  int covered_a = 0, covered_b = 0, covered_pass = 0, ok = 0;
  const double true_pass10 = 1.0 - std::exp(std::lgamma(0.6 + 10) + std::lgamma(1.0) - std::lgamma(0.6) -
                                            std::lgamma(1.0 + 10));
  for (int rep = 0; rep < 200; ++rep) {
    const BetaDifficulty beta = FitBetaBinomial(Simulate(0.4, 0.6, 150, 8, rng), Options{});
    if (beta.quality.status != FitStatus::kOk) continue;
    ++ok;
    covered_a += beta.AInterval().Contains(0.4);
    covered_b += beta.BInterval().Contains(0.6);
    covered_pass += beta.PassAtKBand(10).Contains(true_pass10);
  }
  BOOST_CHECK_EQUAL(ok, 200);
  BOOST_TEST_MESSAGE("coverage a " << covered_a / 200.0 << " b " << covered_b / 200.0 << " pass@10 "
                                   << covered_pass / 200.0);
  for (int covered : {covered_a, covered_b, covered_pass}) {
    BOOST_CHECK_GE(covered / 200.0, 0.90);
    BOOST_CHECK_LE(covered / 200.0, 0.99);
  }
}

BOOST_AUTO_TEST_CASE(aggregate_pass_at_k_points_recover_the_beta) {
  std::vector<PassAtKPoint> points;
  for (long k : {1L, 2L, 4L, 8L, 16L, 64L, 256L}) {
    const double pass = 1.0 - std::exp(std::lgamma(0.6 + k) + std::lgamma(1.0) - std::lgamma(0.6) - std::lgamma(1.0 + k));
    points.push_back({k, 1e6, 1e6 * pass});
  }
  Summary summary;
  const BetaDifficulty beta = FitBetaFromPassAtK(points, Options{}, &summary);
  BOOST_TEST_MESSAGE(summary.FullReport());
  BOOST_REQUIRE(beta.quality.status == FitStatus::kOk);
  BOOST_CHECK_CLOSE(beta.a, 0.4, 1e-4);
  BOOST_CHECK_CLOSE(beta.b, 0.6, 1e-4);
  BOOST_CHECK(FitBetaFromPassAtK({{1, 30, 12}}, Options{}).quality.status == FitStatus::kInsufficientData);
}

BOOST_AUTO_TEST_CASE(livecodebench_predicted_pass_at_k_within_the_empirical_interval) {
  const auto groups = LoadLiveCodeBench();
  int checked = 0;
  for (const std::string model : {"DSCoder-33b-Ins", "DSCoder-6.7b-Ins", "Cllama-34b-Ins", "StarCoder2-15b",
                                  "GPT-4-Turbo-2024-04-09"}) {
    for (const std::string difficulty : {"easy", "medium", "hard"}) {
      const auto it = groups.find({model, difficulty});
      BOOST_REQUIRE_MESSAGE(it != groups.end(), model << " " << difficulty);
      Summary summary;
      const BetaDifficulty beta = FitBetaBinomial(it->second, Options{}, &summary);
      summary.label = model + " " + difficulty;
      BOOST_TEST_MESSAGE(summary.BriefReport());
      if (beta.quality.status == FitStatus::kInsufficientData) {
        // StarCoder2-15b solves none of the hard problems in any sample: no spread to fit, and pass@10 is 0.
        BOOST_CHECK_NE(beta.quality.reason.find("wrong"), std::string::npos);
        BOOST_CHECK_EQUAL(EmpiricalPassAt(it->second, 10).value, 0.0);
        continue;
      }
      BOOST_REQUIRE(beta.quality.usable());
      for (long k = 1; k <= 10; ++k) {
        const EmpiricalPassAtK empirical = EmpiricalPassAt(it->second, k);
        BOOST_TEST_INFO(model << " " << difficulty << " k=" << k << " empirical " << empirical.value << " ["
                              << empirical.interval.lower << ", " << empirical.interval.upper << "] predicted "
                              << beta.PassAtK(k));
        BOOST_CHECK(empirical.interval.Contains(beta.PassAtK(k)));
        ++checked;
      }
    }
  }
  BOOST_CHECK_GE(checked, 140);  // 15 (model, difficulty) pairs, one of them all wrong
}

BOOST_AUTO_TEST_CASE(degenerate_inputs_end_in_a_defined_status) {
  const Options options;
  const std::vector<SampleCount> all_right(20, SampleCount{10, 10}), all_wrong(20, SampleCount{10, 0});
  BOOST_CHECK(FitBetaBinomial(all_right, options).quality.status == FitStatus::kInsufficientData);
  BOOST_CHECK(FitBetaBinomial(all_wrong, options).quality.status == FitStatus::kInsufficientData);
  BOOST_CHECK(FitBetaBinomial({}, options).quality.status == FitStatus::kInsufficientData);
  BOOST_CHECK(FitBetaBinomial({{1, 1}, {1, 0}, {1, 1}}, options).quality.status == FitStatus::kInsufficientData);
  BOOST_CHECK(FitBetaBinomial({{10, 3}}, options).quality.usable());  // one problem: a fit at a bound, defined
  // Every problem equally hard: no spread beyond binomial noise, a and b run to the upper bound.
  std::vector<SampleCount> same;
  for (int i = 0; i < 50; ++i) same.push_back({1e9, 3e8});
  const BetaDifficulty huge = FitBetaBinomial(same, options);
  BOOST_CHECK(huge.quality.usable());
  BOOST_CHECK(std::isfinite(huge.a) && std::isfinite(huge.b) && std::isfinite(huge.PassAtK(10)));
  BOOST_CHECK_CLOSE(huge.Mean(), 0.3, 1e-2);
  BOOST_CHECK_THROW(FitBetaBinomial({{10, std::nan("")}}, options), InputError);
  BOOST_CHECK_THROW(FitBetaBinomial({{10, 11}}, options), InputError);
  // Fractional correct (an averaged rate) uses the continuous extension and stays finite.
  const BetaDifficulty fractional = FitBetaBinomial({{4, 2.5}, {4, 0.25}, {4, 4}, {4, 0}, {4, 1.75}}, options);
  BOOST_CHECK(std::isfinite(fractional.a) && std::isfinite(fractional.b));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan::fitting
