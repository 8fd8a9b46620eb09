// The catalogue kinds of schema version 5: model shapes and dated prices are ingested with the same validation and
// all-or-nothing rules as the other kinds, and read back as the core's independent CSV reader reads the same file.
#include <boost/test/unit_test.hpp>

#include "core/errors.h"
#include "core/model_shape.h"
#include "store/database.h"
#include "tests/common/test_support.h"

namespace thinkplan::store {
namespace {

using testing::DataDir;
using testing::ScratchDir;
using testing::WriteFile;

struct Fixture {
  ScratchDir dir{"thinkplan-catalogues"};
  Database db = Database::Open(dir / "t.db");
  // The InputError message of ingesting `text`, or empty when it was stored.
  std::string Refusal(const std::string& name, const std::string& text) {
    WriteFile(dir / name, text);
    try {
      db.Ingest(dir / name);
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  }
};

constexpr const char* kShapeHeader = "model,params_total_b,layers,hidden,heads,kv_heads,weight_precision,kv_precision\n";
constexpr const char* kPriceHeader =
    "system,effective_from,price_in_usd_per_mtok,price_cached_in_usd_per_mtok,price_out_usd_per_mtok\n";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(catalogue_kinds, Fixture)

BOOST_AUTO_TEST_CASE(stored_model_shapes_read_back_as_the_csv_reader_reads_the_file) {
  const IngestSummary summary = db.Ingest(DataDir() / "models" / "models.csv");
  BOOST_TEST((summary.kind == RecordKind::kModels));
  const ModelCatalogue file = ModelCatalogue::Load(DataDir() / "models" / "models.csv");
  const std::vector<ModelShape> stored = db.ListModelShapes();
  BOOST_REQUIRE(stored.size() == file.shapes().size());
  for (const ModelShape& s : stored) {
    const ModelShape* f = file.Find(s.name);
    BOOST_REQUIRE_MESSAGE(f != nullptr, s.name);
    BOOST_TEST(s.params_total == f->params_total, s.name);
    BOOST_TEST(s.params_active == f->params_active, s.name);
    BOOST_TEST(s.KvBytesPerToken() == f->KvBytesPerToken(), s.name);
    BOOST_TEST(s.WeightBytes() == f->WeightBytes(), s.name);
    BOOST_TEST((s.weight_precision == f->weight_precision && s.kv_precision == f->kv_precision), s.name);
    BOOST_TEST(s.IsMoe() == f->IsMoe(), s.name);
  }
  BOOST_TEST(db.Counts().model_shapes == stored.size());
  // Re-ingesting is a no-op.
  BOOST_TEST(db.Ingest(DataDir() / "models" / "models.csv").unchanged == stored.size());
}

BOOST_AUTO_TEST_CASE(a_model_shape_the_cost_model_cannot_use_is_refused_with_its_field) {
  std::string why = Refusal("a.csv", std::string(kShapeHeader) + "m,8,32,4096,32,6,bf16,bf16\n");
  BOOST_TEST(why.find("kv_heads") != std::string::npos, why);
  BOOST_TEST(why.find("must divide heads") != std::string::npos, why);
  why = Refusal("b.csv", std::string(kShapeHeader) + "m,8,32,4096,32,8,fp4,bf16\n");
  BOOST_TEST(why.find("weight_precision") != std::string::npos, why);
  why = Refusal("c.csv", std::string(kShapeHeader) + "m,8,32,4096,32,8,bf16,int8\n");  // no integer caches
  BOOST_TEST(why.find("kv_precision") != std::string::npos, why);
  why = Refusal("d.csv", "model,params_total_b,params_active_b,layers,hidden,heads,kv_heads,n_experts\n"
                         "m,47,13,32,4096,32,8,8\n");
  BOOST_TEST(why.find("experts_per_token") != std::string::npos, why);
  // A good row before a bad one: nothing of the file is stored.
  why = Refusal("e.csv", std::string(kShapeHeader) + "ok,8,32,4096,32,8,bf16,bf16\nbad,8,0,4096,32,8,bf16,bf16\n");
  BOOST_TEST(why.find("layers") != std::string::npos, why);
  BOOST_TEST(db.Counts().model_shapes == 0u);
}

BOOST_AUTO_TEST_CASE(a_price_change_is_a_new_row_and_a_bad_row_stores_nothing) {
  BOOST_TEST(Refusal("p.csv", std::string(kPriceHeader) + "o3,2025-04-16,10,,40\no3,2025-06-10,2,,8\n").empty());
  BOOST_TEST(db.ListPrices().size() == 2u);
  BOOST_TEST(db.ListSystems().size() == 1u);  // created bare, as a run names a system
  // The same date with another price conflicts with the stored row instead of replacing it.
  std::string why = Refusal("q.csv", std::string(kPriceHeader) + "o3,2025-06-10,1,,4\n");
  BOOST_TEST(why.find("price_in_usd_per_mtok") != std::string::npos, why);
  why = Refusal("r.csv", std::string(kPriceHeader) + "x,2025-01-01,1,,4\nx,2025-13-01,1,,4\n");
  BOOST_TEST(why.find("effective_from") != std::string::npos, why);
  why = Refusal("s.csv", std::string(kPriceHeader) + "y,2025-01-01,1,2,4\n");  // cached dearer than uncached
  BOOST_TEST(why.find("price_cached_in_usd_per_mtok") != std::string::npos, why);
  BOOST_TEST(db.ListPrices().size() == 2u);
  BOOST_TEST(db.Counts().prices == 2u);
}

BOOST_AUTO_TEST_CASE(hardware_takes_integer_peaks) {
  BOOST_TEST(Refusal("h.csv", "hardware,hbm_gib,hbm_tb_per_s,bf16_dense_tflops,int8_dense_tops,int4_dense_tops\n"
                              "A100-SXM-80GB,80,2.039,312,624,1248\n")
                 .empty());
  const std::vector<HardwareInfo> cards = db.ListHardware();
  BOOST_REQUIRE(cards.size() == 1u);
  BOOST_TEST(*cards[0].int8_dense_tops == 624.0);
  BOOST_TEST(*cards[0].int4_dense_tops == 1248.0);
  BOOST_TEST(!cards[0].fp8_dense_tflops.has_value());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace thinkplan::store
