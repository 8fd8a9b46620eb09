// The Monte Carlo accuracy engine against independent references: Random123's Philox stream, libm, the Beta
// moments, the closed form of pass@k, and the reference values of docs/design.md section 3.3 (computed there by
// quadrature and confirmed by an independent Monte Carlo).
#include <boost/test/unit_test.hpp>

#include <Random123/philox.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "core/errors.h"
#include "sim/monte_carlo.h"

using namespace thinkplan;
using namespace thinkplan::sim;

namespace {

McProblemSpec Spec(double a, double b, int samples, McAggregation aggregation, double dprime = 0, double rho = 0) {
  McProblemSpec spec;
  spec.beta_a = a;
  spec.beta_b = b;
  spec.samples = samples;
  spec.aggregation = aggregation;
  spec.dprime = dprime;
  spec.rho = rho;
  return spec;
}

// pass@k = 1 - prod_{j<k} (b + j) / (a + b + j) for Beta(a, b) difficulty.
double ClosedFormPassAtK(double a, double b, int k) {
  double miss = 1;
  for (int j = 0; j < k; ++j) miss *= (b + j) / (a + b + j);
  return 1 - miss;
}

MonteCarloSummary Run(const McProblemSpec& spec, uint64_t problems, uint64_t seed = 20261130) {
  MonteCarloOptions options;
  options.seed = seed;
  options.problems = problems;
  return RunMonteCarlo(spec, options);
}

// |estimate - reference| within 4 standard errors plus the rounding of a reference given to `decimals`.
void CheckAgainst(const MonteCarloSummary& mc, double reference, int decimals) {
  const double slack = 4 * mc.std_error + 0.5 * std::pow(10.0, -decimals);
  BOOST_TEST(std::fabs(mc.accuracy - reference) <= slack,
             "Monte Carlo " << mc.accuracy << " +/- " << mc.std_error << " vs reference " << reference);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(monte_carlo)

BOOST_AUTO_TEST_CASE(philox_matches_random123_word_for_word) {
  r123::Philox4x32 reference;
  const uint32_t counters[][4] = {{0, 0, 0, 0}, {1, 2, 3, 4}, {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                                  {123456789u, 0, 77, 3}};
  const uint32_t keys[][2] = {{0, 0}, {0xdeadbeefu, 0x12345678u}, {0xffffffffu, 1}};
  for (const auto& c : counters) {
    for (const auto& k : keys) {
      const r123::Philox4x32::ctr_type ctr = {{c[0], c[1], c[2], c[3]}};
      const r123::Philox4x32::key_type key = {{k[0], k[1]}};
      const auto expected = reference(ctr, key);
      const auto ours = portable::Philox4x32_10({{c[0], c[1], c[2], c[3]}}, k[0], k[1]);
      for (int w = 0; w < 4; ++w) BOOST_TEST(ours.v[w] == expected.v[w]);
    }
  }
}

BOOST_AUTO_TEST_CASE(portable_log_and_exp_agree_with_libm) {
  for (double x = 1e-300; x < 1e300; x *= 7.3) {
    BOOST_TEST(portable::Log(x) == std::log(x), boost::test_tools::tolerance(4e-16));
  }
  for (double x = 1e-6; x < 3; x += 0.0137) {
    BOOST_TEST(portable::Log(x) == std::log(x), boost::test_tools::tolerance(4e-16));
  }
  for (double x = -700; x < 700; x += 0.731) {
    BOOST_TEST(portable::Exp(x) == std::exp(x), boost::test_tools::tolerance(4e-16));
  }
  BOOST_TEST(portable::Exp(-800) == 0.0);
  BOOST_TEST(portable::Log(1.0) == 0.0);
}

BOOST_AUTO_TEST_CASE(difficulty_draws_have_beta_moments) {
  for (auto [a, b] : {std::pair{0.4, 0.6}, std::pair{2.5, 1.5}, std::pair{0.05, 0.3}}) {
    const McProblemSpec spec = WithSeed(Spec(a, b, 1, McAggregation::kPass1), 99);
    constexpr int kDraws = 200000;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < kDraws; ++i) {
      const double p = DrawDifficulty(spec, i);
      BOOST_REQUIRE(p >= 0.0);
      BOOST_REQUIRE(p <= 1.0);
      sum += p;
      sum2 += p * p;
    }
    const double mean = sum / kDraws, variance = sum2 / kDraws - mean * mean;
    const double true_mean = a / (a + b), true_variance = a * b / ((a + b) * (a + b) * (a + b + 1));
    BOOST_TEST(std::fabs(mean - true_mean) < 4 * std::sqrt(true_variance / kDraws), "a=" << a << " b=" << b);
    BOOST_TEST(std::fabs(variance - true_variance) < 0.02 * true_variance + 1e-4, "a=" << a << " b=" << b);
  }
}

BOOST_AUTO_TEST_CASE(pass_at_k_matches_the_closed_form) {
  for (int k : {1, 4, 16, 64}) {
    const auto aggregation = k == 1 ? McAggregation::kPass1 : McAggregation::kPassAt;
    const auto mc = Run(Spec(0.4, 0.6, k, aggregation), 400000);
    CheckAgainst(mc, ClosedFormPassAtK(0.4, 0.6, k), 12);
  }
  CheckAgainst(Run(Spec(0.4, 0.6, 16, McAggregation::kPassAt), 400000), 0.7801, 4);  // docs/design.md 3.3
  CheckAgainst(Run(Spec(3.0, 2.0, 8, McAggregation::kPassAt), 400000), ClosedFormPassAtK(3.0, 2.0, 8), 12);
}

BOOST_AUTO_TEST_CASE(majority_vote_matches_reference_and_plateaus) {
  CheckAgainst(Run(Spec(0.4, 0.6, 5, McAggregation::kConsensus, 0, 0.5), 400000), 0.479, 3);
  // As k grows, cons@k tends to P(p > rho / (1 + rho)) = P(p > 1/3) = 0.4906 for Beta(0.4, 0.6).
  const auto large = Run(Spec(0.4, 0.6, 301, McAggregation::kConsensus, 0, 0.5), 100000);
  BOOST_TEST(std::fabs(large.accuracy - 0.4906) < 0.01, "cons@301 = " << large.accuracy);
}

BOOST_AUTO_TEST_CASE(best_of_n_matches_reference_values) {
  CheckAgainst(Run(Spec(0.4, 0.6, 16, McAggregation::kBestOf, 1.0), 200000), 0.599, 3);
  CheckAgainst(Run(Spec(0.4, 0.6, 16, McAggregation::kBestOf, 3.0), 200000), 0.765, 3);
  CheckAgainst(Run(Spec(0.4, 0.6, 64, McAggregation::kBestOf, 1.0), 100000), 0.660, 3);
  // A verifier with no discrimination picks at random: accuracy is the mean difficulty, a / (a + b).
  CheckAgainst(Run(Spec(0.4, 0.6, 8, McAggregation::kBestOf, 0.0), 200000), 0.4, 12);
}

BOOST_AUTO_TEST_CASE(result_depends_on_seed_only_not_threads) {
  const McProblemSpec spec = Spec(0.7, 1.3, 9, McAggregation::kConsensus, 0, 0.3);
  MonteCarloOptions options;
  options.seed = 42;
  options.problems = 50000;
  options.chunk = 1000;
  options.threads = 1;
  const auto one = RunMonteCarlo(spec, options);
  options.threads = 2;
  const auto two = RunMonteCarlo(spec, options);
  options.threads = 3;
  const auto three = RunMonteCarlo(spec, options);
  BOOST_TEST(std::memcmp(&one.accuracy, &two.accuracy, sizeof(double)) == 0);
  BOOST_TEST(std::memcmp(&one.accuracy, &three.accuracy, sizeof(double)) == 0);
  BOOST_TEST(one.std_error == two.std_error);
  BOOST_TEST(one.trials == three.trials);
  options.seed = 43;
  BOOST_TEST(RunMonteCarlo(spec, options).accuracy != one.accuracy);
}

BOOST_AUTO_TEST_CASE(invalid_specs_are_refused_with_the_field_named) {
  BOOST_CHECK_THROW(Run(Spec(0.0, 1.0, 1, McAggregation::kPass1), 10), thinkplan::InputError);
  BOOST_CHECK_THROW(Run(Spec(1.0, 1.0, 0, McAggregation::kPassAt), 10), thinkplan::InputError);
  BOOST_CHECK_THROW(Run(Spec(1.0, 1.0, 5, McAggregation::kConsensus, 0, 1.5), 10), thinkplan::InputError);
  BOOST_CHECK_THROW(Run(Spec(1.0, NAN, 5, McAggregation::kPassAt), 10), thinkplan::InputError);
  try {
    Run(Spec(1.0, 1.0, 5, McAggregation::kConsensus, 0, -0.1), 10);
    BOOST_FAIL("no error");
  } catch (const thinkplan::InputError& e) {
    BOOST_TEST(std::string(e.what()).find("field 'rho'") != std::string::npos);
  }
}

// A regression pin, not a correctness check: these exact numbers were recorded from the engine before its
// counting loop was vectorised, so any change of stream layout or arithmetic that alters results is caught.
// The correctness of the numbers themselves is what the tests above establish.
BOOST_AUTO_TEST_CASE(outputs_are_bit_identical_to_recorded_values) {
  struct Pinned {
    McProblemSpec spec;
    double accuracy, std_error;
    uint64_t trials;
    double credits[6];   // problems 1000..1005, seed 42
    double difficulty;   // problem 2^33 + 5, seed 42
  };
  const Pinned pinned[] = {
      {Spec(0.7, 0.9, 1, McAggregation::kPass1), 0x1.bfd8adab9f55ap-2, 0x1.cbc4d138aea12p-9, 20000,
       {0, 0, 1, 0, 1, 0}, 0x1.00b138d025237p-3},
      {Spec(0.4, 0.6, 64, McAggregation::kPassAt), 0x1.bde00d1b71759p-1, 0x1.36d4cc8ac67a9p-9, 747744,
       {1, 1, 1, 1, 1, 1}, 0x1.5ab0bcecc2214p-7},
      {Spec(2.0, 3.0, 5, McAggregation::kConsensus, 0, 0.3), 0x1.2f972474538f1p-1, 0x1.a35d4821e7d8p-9, 100000,
       {0, 0, 1, 0x1.999999999999ap-3, 0, 1}, 0x1.ee4ad461340aep-3},
      {Spec(0.4, 0.6, 64, McAggregation::kConsensus, 0, 0.5), 0x1.f851eb851eb85p-2, 0x1.cde81d7fa6611p-9, 1280000,
       {0, 0, 1, 0, 0, 0}, 0x1.5ab0bcecc2214p-7},
      {Spec(0.4, 0.6, 256, McAggregation::kConsensus), 0x1.cbd6ae7d566cfp-1, 0x1.182be680c773ep-9, 5120000,
       {1, 1, 1, 1, 1, 1}, 0x1.5ab0bcecc2214p-7},
      {Spec(0.5, 0.5, 37, McAggregation::kConsensus, 0, 0.2), 0x1.75d0602db2b52p-1, 0x1.95e1401755445p-9, 740000,
       {1, 1, 1, 0, 1, 1}, 0x1.eca1ce5cc71cbp-5},
      {Spec(0.4, 0.6, 16, McAggregation::kBestOf, 1.0), 0x1.32fec56d5cfabp-1, 0x1.c622336d320b1p-9, 320000,
       {0, 0, 1, 0, 0, 1}, 0x1.5ab0bcecc2214p-7},
  };
  for (const Pinned& p : pinned) {
    MonteCarloOptions options;
    options.seed = 0x123456789abcdefULL;
    options.problems = 20000;
    options.threads = 2;
    const MonteCarloSummary mc = RunMonteCarlo(p.spec, options);
    BOOST_TEST(mc.accuracy == p.accuracy);
    BOOST_TEST(mc.std_error == p.std_error);
    BOOST_TEST(mc.trials == p.trials);
    const std::vector<double> credits = SimulateCredits(p.spec, 42, 1000, 6);
    for (int i = 0; i < 6; ++i) BOOST_TEST(credits[i] == p.credits[i]);
    BOOST_TEST(DrawDifficulty(WithSeed(p.spec, 42), (uint64_t{1} << 33) + 5) == p.difficulty);
  }
}

BOOST_AUTO_TEST_SUITE_END()
