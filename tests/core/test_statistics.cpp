// Normal distribution and Wilson interval against values computed independently with SciPy
// (norm.ppf) and the score-interval formula evaluated by hand.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>

#include "core/statistics.h"

using namespace thinkplan;

BOOST_AUTO_TEST_SUITE(statistics)

BOOST_AUTO_TEST_CASE(normal_quantile_matches_tables) {
  BOOST_TEST(NormalQuantile(0.975) == 1.959963984540054, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(NormalQuantile(0.5) == 0.0, boost::test_tools::tolerance(1e-14));
  BOOST_TEST(NormalQuantile(0.001) == -3.090232306167813, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(NormalQuantile(1e-10) == -6.361340902404056, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(std::isinf(NormalQuantile(0.0)));
}

BOOST_AUTO_TEST_CASE(named_z_values_are_the_normal_quantiles_they_stand_for) {
  // SciPy: norm.ppf(0.95) = 1.6448536269514722, norm.ppf(0.975) = 1.959963984540054.
  BOOST_TEST(kZ95OneSided == 1.6448536269514722);
  BOOST_TEST(kZ95TwoSided == 1.959963984540054);
  // NormalQuantile agrees to within an ulp or two: the constants change no result that used it.
  BOOST_TEST(std::abs(NormalQuantile(0.95) - kZ95OneSided) <= 2 * std::numeric_limits<double>::epsilon() * kZ95OneSided);
  BOOST_TEST(std::abs(NormalQuantile(0.975) - kZ95TwoSided) <= 2 * std::numeric_limits<double>::epsilon() * kZ95TwoSided);
  BOOST_TEST(std::abs(TwoSidedZ(0.95) - kZ95TwoSided) <= 2 * std::numeric_limits<double>::epsilon() * kZ95TwoSided);
}

BOOST_AUTO_TEST_CASE(normal_cdf_inverts_quantile) {
  for (double p = 0.0005; p < 1; p += 0.0137) {
    BOOST_TEST(NormalCdf(NormalQuantile(p)) == p, boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(wilson_interval_matches_reference) {
  // 22 of 30 at 95%: Wilson interval 0.55552 .. 0.85817 (SciPy norm.ppf and the score-interval formula by hand).
  const Interval a = WilsonInterval(22, 30, 0.95);
  BOOST_TEST(a.lower == 0.55552, boost::test_tools::tolerance(2e-5));
  BOOST_TEST(a.upper == 0.85817, boost::test_tools::tolerance(2e-5));
  // 0 of 10: lower bound 0, upper 0.2775.
  const Interval b = WilsonInterval(0, 10, 0.95);
  BOOST_TEST(b.lower == 0.0);
  BOOST_TEST(b.upper == 0.2775, boost::test_tools::tolerance(2e-4));
  // No trials: the whole unit interval.
  const Interval c = WilsonInterval(0, 0, 0.95);
  BOOST_TEST(c.lower == 0.0);
  BOOST_TEST(c.upper == 1.0);
}

BOOST_AUTO_TEST_SUITE_END()
