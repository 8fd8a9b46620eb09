// The one catalogue loader (pipeline/catalogues.h): the prices in force on a day are the latest dated rows on or
// before it, checked against the price changes the shipped catalogue notes state (o3 cut from 10/40 to 2/8 on
// 2025-06-10, o1-mini from 3/12 to 1.10/4.40 around 2025-02-01), and nothing is read from a data folder but the
// serving efficiencies.
#include <boost/test/unit_test.hpp>

#include "core/errors.h"
#include "pipeline/catalogues.h"
#include "tests/common/test_support.h"

using namespace thinkplan;
using testing::DataDir;
using testing::ScratchDir;

namespace {

const SystemInfo& Find(const planner::Catalogues& c, const std::string& name) {
  const SystemInfo* s = c.FindSystem(name);
  BOOST_REQUIRE_MESSAGE(s != nullptr, name);
  return *s;
}

struct ShippedCatalogues {
  ScratchDir dir{"thinkplan-catalogues"};
  store::Database db = store::Database::Open(dir / "t.db");
  ShippedCatalogues() {
    for (const char* file : {"published/systems.csv", "published/hardware.csv", "published/prices.csv",
                             "apis/system_apis.csv", "models/models.csv"}) {
      db.Ingest(DataDir() / file);
    }
  }
  planner::Catalogues On(const std::string& day) { return pipeline::LoadCatalogues(db, {day}); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(catalogues, ShippedCatalogues)

BOOST_AUTO_TEST_CASE(the_price_in_force_is_the_latest_dated_row_on_or_before_the_day) {
  const planner::Catalogues before = On("2025-06-09");
  BOOST_TEST(*Find(before, "o3").price_in_usd_per_mtok == 10.0);
  BOOST_TEST(*Find(before, "o3").price_out_usd_per_mtok == 40.0);
  BOOST_TEST(Find(before, "o3").price_effective_from == "2025-04-16");
  const planner::Catalogues after = On("2025-06-10");
  BOOST_TEST(*Find(after, "o3").price_in_usd_per_mtok == 2.0);
  BOOST_TEST(*Find(after, "o3").price_out_usd_per_mtok == 8.0);
  BOOST_TEST(*Find(after, "o1-mini").price_in_usd_per_mtok == 1.10);
  BOOST_TEST(*Find(after, "o1-mini").price_out_usd_per_mtok == 4.40);
  // Cached-input prices where the notes publish one (o3-mini 0.55, o4-mini 0.275, DeepSeek-R1 cache hit 0.14).
  BOOST_TEST(*Find(after, "o3-mini").price_cached_in_usd_per_mtok == 0.55);
  BOOST_TEST(*Find(after, "o4-mini").price_cached_in_usd_per_mtok == 0.275);
  BOOST_TEST(*Find(after, "DeepSeek-R1").price_cached_in_usd_per_mtok == 0.14);
  BOOST_TEST(!Find(after, "o3").price_cached_in_usd_per_mtok.has_value());
  // Before its first dated row a system keeps the systems row's own (undated) price.
  const planner::Catalogues early = On("2025-01-01");
  BOOST_TEST(Find(early, "o3").price_effective_from.empty());
  BOOST_TEST(*Find(early, "o3").price_in_usd_per_mtok == 10.0);
}

BOOST_AUTO_TEST_CASE(every_catalogue_comes_from_the_database) {
  const planner::Catalogues c = On("2026-01-01");
  BOOST_TEST(c.efficiencies.empty());  // no cost fit stored in this database
  BOOST_TEST(c.hardware.size() == db.ListHardware().size());
  BOOST_TEST(c.models.shapes().size() == db.ListModelShapes().size());
  BOOST_TEST(c.apis.size() == db.ListSystemApis().size());
  BOOST_TEST(c.models.Find("Llama-3.1-70B") != nullptr);
  BOOST_CHECK_THROW(pipeline::LoadCatalogues(db, {"June 2025"}), InputError);
}

BOOST_AUTO_TEST_SUITE_END()
