// Aggregation and enum text forms: the interchange format's spelling.
#include <boost/test/unit_test.hpp>

#include "core/errors.h"
#include "core/run.h"

using namespace thinkplan;

BOOST_AUTO_TEST_SUITE(run_types)

BOOST_AUTO_TEST_CASE(aggregation_parses_the_four_forms) {
  BOOST_TEST((Aggregation::Parse("pass@1")->kind == AggregationKind::kPass1));
  BOOST_TEST(Aggregation::Parse("cons@64")->k == 64);
  BOOST_TEST((Aggregation::Parse("cons@64")->kind == AggregationKind::kConsensus));
  BOOST_TEST((Aggregation::Parse("best@8")->kind == AggregationKind::kBestOf));
  BOOST_TEST((Aggregation::Parse("pass@100")->kind == AggregationKind::kPassAt));
  BOOST_TEST(Aggregation::Parse("pass@100")->ToString() == "pass@100");
  BOOST_TEST(Aggregation::Parse("cons@1")->ToString() == "cons@1");
}

BOOST_AUTO_TEST_CASE(aggregation_rejects_malformed_text) {
  for (const char* bad : {"", "pass", "pass@", "pass@0", "pass@-3", "cons@x", "vote@5", "pass@1.5", "@4", "pass@ 2"}) {
    BOOST_TEST(!Aggregation::Parse(bad).has_value(), "accepted '" << bad << "'");
  }
}

BOOST_AUTO_TEST_CASE(enums_round_trip) {
  for (Source s : {Source::kMeasured, Source::kPublished, Source::kSimulated}) BOOST_TEST((*ParseSource(ToString(s)) == s));
  for (Mode m : {Mode::kFast, Mode::kExtended}) BOOST_TEST((*ParseMode(ToString(m)) == m));
  BOOST_TEST(!ParseMode("Fast").has_value());
}

BOOST_AUTO_TEST_CASE(input_error_names_file_line_field_value) {
  const InputError e({"runs.csv", 12, "samples", "zero\x01"}, "must be an integer >= 1");
  BOOST_TEST(std::string(e.what()) == "runs.csv:12: field 'samples' = 'zero\\x01': must be an integer >= 1");
  BOOST_TEST(static_cast<int>(e.code()) == 2);
}

BOOST_AUTO_TEST_SUITE_END()
