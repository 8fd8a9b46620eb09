// `thinkplan exchange` end to end on the demo database: the FLOPs-matched table against hand arithmetic, every
// stored training fit listed with its status, rates consistent with their own surface parameters, the
// Sardana-Frankle rows shrinking with demand, the class filter and its errors.
#include <boost/test/unit_test.hpp>

#include <cmath>

#include <nlohmann/json.hpp>

#include "tests/common/test_support.h"

using namespace thinkplan::testing;

BOOST_AUTO_TEST_SUITE(cli_exchange)

BOOST_AUTO_TEST_CASE(exchange_on_the_demo_database) {
  ScratchDir dir;
  const std::string db = "--db " + ShellQuote((dir / "t.db").string());
  BOOST_REQUIRE(RunThinkplan(db + " --quiet demo").exit_code == 0);

  const CommandResult r = RunThinkplan(db + " exchange --json");
  BOOST_REQUIRE_MESSAGE(r.exit_code == 0, r.err);
  const auto j = nlohmann::json::parse(r.out);
  // Snell et al.: M + 3 (1 / R) (M - 1); M = 14, R = 0.16 -> 14 + 18.75 x 13 = 257.75; M = 2, R = 22 -> 2 + 3 / 22.
  bool seen_257 = false, seen_2_22 = false;
  for (const auto& c : j["snell"]) {
    const double m = c["size_ratio"], ratio = c["inference_to_pretrain"], x = c["multiplier"];
    if (m == 14 && ratio == 0.16) seen_257 = std::abs(x - 257.75) < 1e-9;
    if (m == 2 && ratio == 22) seen_2_22 = std::abs(x - (2 + 3.0 / 22)) < 1e-9;
  }
  BOOST_TEST(seen_257);
  BOOST_TEST(seen_2_22);
  // The demo fits training surfaces for the code families; each defined rate is 10^(t1 / t2) inside its interval.
  long defined = 0, code = 0;
  for (const auto& rate : j["rates"]) {
    code += rate["task_class"] == "code";
    BOOST_TEST(!rate["status"].get<std::string>().empty());
    if (!rate["defined"].get<bool>()) continue;
    ++defined;
    const double x = rate["rate"], t1 = rate["t1"], t2 = rate["t2"];
    BOOST_TEST(x == std::pow(10.0, t1 / t2), boost::test_tools::tolerance(1e-9));
    // An end beyond double range (a nearly flat test-time slope) is written as null: unbounded.
    const auto& lo = rate["interval"][0];
    const auto& hi = rate["interval"][1];
    BOOST_TEST((lo.is_null() || lo.get<double>() <= x));
    BOOST_TEST((hi.is_null() || x <= hi.get<double>()));
  }
  BOOST_TEST(code > 0);
  BOOST_TEST(defined > 0);
  // Sardana-Frankle: as demand grows the optimum gets smaller and trains on more tokens per parameter.
  BOOST_REQUIRE(!j["sardana_frankle"].empty());
  for (const auto& law : j["sardana_frankle"]) {
    double last_n = INFINITY, last_ratio = 0;
    for (const auto& p : law["points"]) {
      BOOST_REQUIRE(p["status"] == "ok");
      BOOST_TEST(p["params"].get<double>() < last_n);
      BOOST_TEST(p["tokens_per_param"].get<double>() > last_ratio);
      last_n = p["params"];
      last_ratio = p["tokens_per_param"];
    }
  }

  const CommandResult table = RunThinkplan(db + " exchange --class code");
  BOOST_REQUIRE_MESSAGE(table.exit_code == 0, table.err);
  BOOST_TEST(table.out.find("10x training compute is worth") != std::string::npos, table.out);
  BOOST_TEST(table.out.find("257.75") != std::string::npos);
  BOOST_TEST(table.out.find("math-competition") == std::string::npos);

  BOOST_TEST(RunThinkplan(db + " exchange --class no-such-class").exit_code == 1);
  BOOST_TEST(RunThinkplan("--db " + ShellQuote((dir / "missing.db").string()) + " exchange").exit_code != 0);
  const CommandResult help = RunThinkplan("exchange --help");
  BOOST_TEST(help.exit_code == 0);
  BOOST_TEST(help.out.find("FLOPs-matched") != std::string::npos);
  BOOST_TEST(help.out.find("Sardana") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
