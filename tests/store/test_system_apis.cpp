// The API catalogue (core/system_api.h, data/apis/system_apis.csv) through ingest: detected by its header, stored
// and read back field for field, re-ingested as a no-op, and its cross-field rules enforced with file, line and field.
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "core/errors.h"
#include "store/database.h"
#include "tests/common/test_support.h"

namespace thinkplan::store {
namespace {

using testing::ScratchDir;
using testing::WriteFile;

constexpr const char* kHeader =
    "system,vendor,api,api_model_id,thinking,knob,effort_values,budget_min_tokens,budget_max_tokens,"
    "max_output_tokens,n_max,reasoning_parser,source\n";

std::string IngestError(Database& db, const std::filesystem::path& path, const std::string& text) {
  WriteFile(path, text);
  try {
    db.Ingest(path);
  } catch (const InputError& error) {
    return error.what();
  }
  return "no error";
}

BOOST_AUTO_TEST_SUITE(system_apis)

BOOST_AUTO_TEST_CASE(the_shipped_api_catalogue_is_detected_stored_and_read_back) {
  ScratchDir dir("thinkplan-system-apis");
  Database db = Database::Open(dir / "t.db");
  const IngestSummary summary = db.Ingest(testing::DataDir() / "apis" / "system_apis.csv");
  BOOST_TEST(ToString(summary.kind) == "system_apis");
  const std::vector<SystemApi> apis = db.ListSystemApis();
  BOOST_TEST(apis.size() >= 20u);
  const auto claude = std::find_if(apis.begin(), apis.end(),
                                   [](const SystemApi& a) { return a.system == "Claude-3.7-Sonnet"; });
  BOOST_REQUIRE(claude != apis.end());
  BOOST_TEST(claude->api == "anthropic");
  BOOST_TEST(claude->api_model_id == "claude-3-7-sonnet-20250219");
  BOOST_TEST(claude->thinking == "optional");
  BOOST_TEST(claude->knob == "budget");
  BOOST_TEST((claude->budget_min_tokens == std::optional<long>(1024)));
  BOOST_TEST(claude->max_output_tokens == 64000);
  BOOST_TEST(claude->n_max == 0);
  db.Ingest(testing::DataDir() / "apis" / "system_apis.csv");  // the same rows again: nothing changes
  BOOST_TEST((db.ListSystemApis() == apis));
}

BOOST_AUTO_TEST_CASE(api_rows_that_break_the_knob_rules_are_refused_with_their_field) {
  ScratchDir dir("thinkplan-system-apis-bad");
  Database db = Database::Open(dir / "t.db");
  const auto path = dir / "apis.csv";
  BOOST_TEST(IngestError(db, path, std::string(kHeader) + "m,V,openai,m,always,effort,,,,1000,1,,s\n")
                 .find("field 'effort_values'") != std::string::npos);
  BOOST_TEST(IngestError(db, path, std::string(kHeader) + "m,V,gemini,m,always,budget,,128,,1000,1,,s\n")
                 .find("field 'budget_max_tokens'") != std::string::npos);
  BOOST_TEST(IngestError(db, path, std::string(kHeader) + "m,V,gemini,m,always,budget,,128,4096,1000,1,,s\n")
                 .find("must be <= max_output_tokens") != std::string::npos);
  BOOST_TEST(
      IngestError(db, path, std::string(kHeader) + "m,V,bedrock,m,always,none,,,,1000,1,,s\n").find("field 'api'") !=
      std::string::npos);
  BOOST_TEST(db.ListSystemApis().empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace thinkplan::store
