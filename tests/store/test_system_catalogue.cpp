// One systems catalogue (issue 14 item 1): a systems file may carry each system's API fields, which are stored as
// its API row with the API catalogue's own rules, all or nothing with the systems row; the separate API file stays
// accepted and a row given both ways must agree; the view system_catalogue shows each system once, with its
// cached-input price and API fields. References: the values written into the files by hand, read back through an
// independent path (plain SQL on the view, and ListSystemApis for the API rows).
#include <boost/test/unit_test.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <string>

#include "core/errors.h"
#include "store/database.h"
#include "tests/common/test_support.h"

namespace thinkplan::store {
namespace {

using testing::ScratchDir;
using testing::WriteFile;

constexpr const char* kSystemsWithApi =
    "system,vendor,kind,price_in_usd_per_mtok,price_cached_in_usd_per_mtok,price_out_usd_per_mtok,citation,"
    "api,api_model_id,thinking,knob,effort_values,budget_min_tokens,budget_max_tokens,max_output_tokens,n_max,"
    "api_source\n";

std::string IngestError(Database& db, const std::filesystem::path& path, const std::string& text,
                        const IngestOptions& options = {}) {
  WriteFile(path, text);
  try {
    db.Ingest(path, options);
  } catch (const InputError& error) {
    return error.what();
  }
  return "no error";
}

const SystemApi* FindApi(const std::vector<SystemApi>& apis, const std::string& system) {
  const auto it = std::find_if(apis.begin(), apis.end(), [&](const SystemApi& a) { return a.system == system; });
  return it == apis.end() ? nullptr : &*it;
}

BOOST_AUTO_TEST_SUITE(system_catalogue)

BOOST_AUTO_TEST_CASE(a_systems_file_with_api_fields_fills_the_systems_row_and_its_api_row) {
  ScratchDir dir("thinkplan-system-catalogue");
  Database db = Database::Open(dir / "t.db");
  WriteFile(dir / "systems.csv", std::string(kSystemsWithApi) +
                                     "Acme-Think,Acme,reasoning,2.00,0.50,8.00,acme price page,openai,acme-think-1,"
                                     "always,effort,low|high,,,32000,4,acme api docs\n"
                                     "Acme-Fast,Acme,fast,0.20,,0.80,acme price page,,,,,,,,,,\n");
  const IngestSummary summary = db.Ingest(dir / "systems.csv");
  BOOST_TEST(ToString(summary.kind) == "systems");
  BOOST_TEST(summary.inserted == 2u);

  const std::vector<SystemInfo> systems = db.ListSystems();
  BOOST_REQUIRE(systems.size() == 2u);
  BOOST_TEST(systems[1].name == "Acme-Think");
  BOOST_TEST((systems[1].price_cached_in_usd_per_mtok == std::optional<double>(0.50)));
  BOOST_TEST(!systems[0].price_cached_in_usd_per_mtok.has_value());

  const std::vector<SystemApi> apis = db.ListSystemApis();
  BOOST_REQUIRE(apis.size() == 1u);  // the row without API fields has no API row
  BOOST_TEST(apis[0].system == "Acme-Think");
  BOOST_TEST(apis[0].vendor == "Acme");
  BOOST_TEST(apis[0].api == "openai");
  BOOST_TEST(apis[0].api_model_id == "acme-think-1");
  BOOST_TEST(apis[0].knob == "effort");
  BOOST_TEST(apis[0].effort_values == "low|high");
  BOOST_TEST(apis[0].max_output_tokens == 32000);
  BOOST_TEST(apis[0].n_max == 4);
  BOOST_TEST(apis[0].source == "acme api docs");

  // The view: one row per system, its API fields beside its prices.
  SQLite::Statement view(db.connection(),
                         "SELECT name, price_cached_in_usd_per_mtok, api, api_model_id, knob FROM system_catalogue "
                         "ORDER BY name");
  BOOST_REQUIRE(view.executeStep());
  BOOST_TEST(view.getColumn(0).getString() == "Acme-Fast");
  BOOST_TEST(view.getColumn(2).isNull());
  BOOST_REQUIRE(view.executeStep());
  BOOST_TEST(view.getColumn(1).getDouble() == 0.50);
  BOOST_TEST(view.getColumn(3).getString() == "acme-think-1");
  BOOST_TEST(view.getColumn(4).getString() == "effort");
  BOOST_TEST(!view.executeStep());

  // Re-ingested unchanged: a no-op.
  const IngestSummary again = db.Ingest(dir / "systems.csv");
  BOOST_TEST(again.inserted == 0u);
  BOOST_TEST(again.unchanged == 2u);
}

BOOST_AUTO_TEST_CASE(the_api_fields_of_a_systems_row_obey_the_api_catalogues_rules_and_roll_back_the_file) {
  ScratchDir dir("thinkplan-system-catalogue-bad");
  Database db = Database::Open(dir / "t.db");
  const auto path = dir / "systems.csv";
  const std::string good = "Good,Acme,reasoning,1,,2,c,anthropic,good-1,optional,budget,,1024,8000,16000,,docs\n";
  // knob effort without its values; a budget knob without its range; an API no exporter knows; a model id given
  // without the fields an API row needs. Each names its field, and the good row before it is not stored either.
  const std::string effort = IngestError(
      db, path, std::string(kSystemsWithApi) + good + "Bad,Acme,reasoning,1,,2,c,openai,bad-1,always,effort,,,,1000,,s\n");
  BOOST_TEST(effort.find("systems.csv:3: ") != std::string::npos, effort);
  BOOST_TEST(effort.find("field 'effort_values'") != std::string::npos, effort);
  BOOST_TEST(IngestError(db, path, std::string(kSystemsWithApi) + good +
                                       "Bad,Acme,reasoning,1,,2,c,gemini,bad-1,always,budget,,,,1000,,s\n")
                 .find("field 'budget_max_tokens'") != std::string::npos);
  BOOST_TEST(IngestError(db, path, std::string(kSystemsWithApi) + good +
                                       "Bad,Acme,reasoning,1,,2,c,bedrock,bad-1,always,none,,,,1000,,s\n")
                 .find("field 'api'") != std::string::npos);
  BOOST_TEST(IngestError(db, path, std::string(kSystemsWithApi) + good + "Bad,Acme,reasoning,1,,2,c,,bad-1,,,,,,,,\n")
                 .find("field 'api'") != std::string::npos);
  // The cached-input price of the systems row is a discount, not a surcharge.
  BOOST_TEST(IngestError(db, path, std::string(kSystemsWithApi) + "Bad,Acme,reasoning,1,3,2,c,,,,,,,,,,\n")
                 .find("field 'price_cached_in_usd_per_mtok'") != std::string::npos);
  BOOST_TEST(db.ListSystems().empty());
  BOOST_TEST(db.ListSystemApis().empty());

  // With skip_invalid the bad record is rejected whole: neither its systems row nor its API row is stored.
  IngestOptions skip;
  skip.skip_invalid = true;
  WriteFile(path, std::string(kSystemsWithApi) + good + "Bad,Acme,reasoning,1,,2,c,openai,bad-1,always,effort,,,,1000,,s\n");
  const IngestSummary summary = db.Ingest(path, skip);
  BOOST_TEST(summary.inserted == 1u);
  BOOST_TEST(summary.rejected == 1u);
  BOOST_TEST(db.ListSystems().size() == 1u);
  BOOST_TEST(db.ListSystemApis().size() == 1u);
  BOOST_TEST(FindApi(db.ListSystemApis(), "Bad") == nullptr);
}

BOOST_AUTO_TEST_CASE(a_system_given_by_both_files_must_agree_and_a_conflict_stores_neither_row) {
  ScratchDir dir("thinkplan-system-catalogue-both");
  Database db = Database::Open(dir / "t.db");
  // The separate API file, as before.
  WriteFile(dir / "apis.csv",
            "system,vendor,api,api_model_id,thinking,knob,effort_values,budget_min_tokens,budget_max_tokens,"
            "max_output_tokens,n_max,reasoning_parser,source\n"
            "Acme-Think,Acme,openai,acme-think-1,always,effort,low|high,,,32000,4,,acme api docs\n");
  BOOST_TEST(ToString(db.Ingest(dir / "apis.csv").kind) == "system_apis");
  // The same API fields in a systems file: the systems row is new, the API row unchanged.
  WriteFile(dir / "same.csv", std::string(kSystemsWithApi) +
                                  "Acme-Think,Acme,reasoning,2,,8,p,openai,acme-think-1,always,effort,low|high,,,"
                                  "32000,4,acme api docs\n");
  BOOST_TEST(db.Ingest(dir / "same.csv").inserted == 1u);
  // Another model id: refused, naming the field and the stored value; the new system in the file is not stored.
  const std::string conflict = IngestError(db, dir / "other.csv",
                                           std::string(kSystemsWithApi) + "Acme-New,Acme,reasoning,1,,2,p,,,,,,,,,,\n" +
                                               "Acme-Think,Acme,reasoning,2,,8,p,openai,acme-think-2,always,effort,"
                                               "low|high,,,32000,4,acme api docs\n");
  BOOST_TEST(conflict.find("field 'api_model_id'") != std::string::npos, conflict);
  BOOST_TEST(conflict.find("acme-think-1") != std::string::npos, conflict);
  BOOST_TEST(db.ListSystems().size() == 1u);
  BOOST_TEST(FindApi(db.ListSystemApis(), "Acme-Think")->api_model_id == "acme-think-1");
}

BOOST_AUTO_TEST_CASE(a_dated_price_in_force_replaces_the_systems_rows_cached_price_in_the_view) {
  ScratchDir dir("thinkplan-system-catalogue-prices");
  Database db = Database::Open(dir / "t.db");
  WriteFile(dir / "systems.csv", std::string(kSystemsWithApi) + "Acme,Acme,reasoning,2,1,8,p,,,,,,,,,,\n");
  WriteFile(dir / "prices.csv",
            "system,effective_from,price_in_usd_per_mtok,price_cached_in_usd_per_mtok,price_out_usd_per_mtok\n"
            "Acme,2025-01-01,1.5,,6\n"
            "Acme,2999-01-01,0.1,0.01,0.4\n");  // announced, not in force
  db.Ingest(dir / "systems.csv");
  db.Ingest(dir / "prices.csv");
  SQLite::Statement view(db.connection(),
                         "SELECT price_in_usd_per_mtok, price_cached_in_usd_per_mtok, price_out_usd_per_mtok, "
                         "price_effective_from FROM system_catalogue");
  BOOST_REQUIRE(view.executeStep());
  BOOST_TEST(view.getColumn(0).getDouble() == 1.5);
  BOOST_TEST(view.getColumn(1).isNull());  // the dated row has no cached price: none is invented
  BOOST_TEST(view.getColumn(2).getDouble() == 6.0);
  BOOST_TEST(view.getColumn(3).getString() == "2025-01-01");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace thinkplan::store
