// The latency sketch and the order-free sum against independent references: nearest-rank percentiles of the
// sorted values (std::sort), the sketch of the whole equal to the merge of any split, a long double sum.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "core/errors.h"
#include "sim/latency_sketch.h"

using namespace thinkplan::sim;

namespace {

double NearestRank(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const std::size_t rank = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size()))));
  return v[rank - 1];
}

std::vector<double> LogNormalSample(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> d(1.0, 2.0);  // spans about 1e-3 .. 1e4
  std::vector<double> v(n);
  for (double& x : v) x = d(rng);
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(latency_sketch)

BOOST_AUTO_TEST_CASE(quantiles_are_within_the_stated_relative_error_of_the_exact_ones) {
  BOOST_TEST(LatencySketch::kRelativeError == 1.0 / 256);
  const std::vector<double> values = LogNormalSample(200001, 3);
  LatencySketch sketch;
  for (double x : values) sketch.Add(x);
  BOOST_TEST(sketch.count() == values.size());
  for (double q : {0.0, 0.001, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0}) {
    const double exact = NearestRank(values, q), estimate = sketch.Quantile(q);
    BOOST_TEST(std::abs(estimate - exact) <= LatencySketch::kRelativeError * exact, "q " << q << ": " << estimate << " vs " << exact);
  }
}

BOOST_AUTO_TEST_CASE(infinite_values_sit_above_every_finite_one) {
  LatencySketch sketch;
  for (int i = 1; i <= 90; ++i) sketch.Add(i);
  for (int i = 0; i < 10; ++i) sketch.Add(std::numeric_limits<double>::infinity());
  BOOST_TEST(std::abs(sketch.Quantile(0.9) - 90) <= 90 * LatencySketch::kRelativeError);
  BOOST_TEST(std::isinf(sketch.Quantile(0.95)));
  BOOST_TEST(sketch.Quantile(0.05) == 5.0, boost::test_tools::tolerance(LatencySketch::kRelativeError));
  LatencySketch tiny;
  tiny.Add(0.0);
  tiny.Add(1e-9);
  BOOST_TEST(tiny.Quantile(0.5) == 0.0);
  BOOST_TEST(tiny.Quantile(1.0) <= 1e-6);
  BOOST_TEST(LatencySketch().Quantile(0.5) == 0.0);
}

BOOST_AUTO_TEST_CASE(merging_any_split_gives_the_sketch_of_the_whole) {
  const std::vector<double> values = LogNormalSample(50000, 4);
  LatencySketch whole;
  for (double x : values) whole.Add(x);
  for (std::size_t parts : {2u, 3u, 7u}) {
    std::vector<LatencySketch> shards(parts);
    for (std::size_t i = 0; i < values.size(); ++i) shards[(i * 7919) % parts].Add(values[i]);
    LatencySketch merged;
    for (std::size_t p = parts; p-- > 0;) merged.Merge(shards[p]);  // any order
    BOOST_TEST((merged == whole), parts << " parts");
    // And through the bytes that travel between processes.
    std::string bytes;
    shards[0].Encode(bytes);
    std::string_view view(bytes);
    BOOST_TEST((LatencySketch::Decode(view) == shards[0]));
    BOOST_TEST(view.empty());
  }
  std::string bytes;
  whole.Encode(bytes);
  std::string_view cut(bytes.data(), bytes.size() - 3);
  BOOST_CHECK_THROW(LatencySketch::Decode(cut), thinkplan::InputError);
}

BOOST_AUTO_TEST_CASE(fixed_sums_do_not_depend_on_the_order_of_their_terms) {
  std::vector<double> terms = LogNormalSample(100000, 5);
  for (std::size_t i = 0; i < terms.size(); i += 3) terms[i] = -terms[i] * 1e-3;
  long double reference = 0;
  FixedSum forward;
  for (double x : terms) {
    forward.Add(x);
    reference += x;
  }
  std::mt19937 rng(9);
  std::shuffle(terms.begin(), terms.end(), rng);
  FixedSum a, b;
  for (std::size_t i = 0; i < terms.size(); ++i) (i % 2 ? a : b).Add(terms[i]);
  b.Merge(a);
  BOOST_TEST((b == forward));
  BOOST_TEST(b.Value() == forward.Value());
  BOOST_TEST(forward.Value() == static_cast<double>(reference), boost::test_tools::tolerance(1e-12));
  std::string bytes;
  forward.Encode(bytes);
  std::string_view view(bytes);
  BOOST_TEST((FixedSum::Decode(view) == forward));
}

BOOST_AUTO_TEST_SUITE_END()
